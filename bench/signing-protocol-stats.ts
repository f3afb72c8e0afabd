/** Percentiles for the signing benchmarks. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function summarize(samples: number[]): { p50Ms: number; p99Ms: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p50Ms: round(percentile(s, 50)), p99Ms: round(percentile(s, 99)), n: s.length };
}
