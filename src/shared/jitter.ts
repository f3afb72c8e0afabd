/**
 * Random pauses between retries, so that contending writers do not retry in lock step. Drawn
 * from crypto.getRandomValues like every other random value in the project: one source of
 * randomness to audit.
 */
export function jitterMs(maxMs: number): number {
  const [r] = crypto.getRandomValues(new Uint32Array(1));
  return ((r as number) / 2 ** 32) * maxMs;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
