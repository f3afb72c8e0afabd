/**
 * Two charts (uPlot), drawn outside the lit-html tree so a re-render never rebuilds them:
 * throughput per batch (parallel against the sequential estimate, transactions a second) and
 * settlement latency over time (from the batches' submission to broadcast and to confirmation).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { txPerSecond } from './format.ts';
import type { State } from './state.ts';

interface Chart {
  plot: uPlot;
  el: HTMLElement;
}

let throughput: Chart | undefined;
let latency: Chart | undefined;

export function mountCharts(root: HTMLElement): void {
  root.innerHTML = `<section id="charts"><h2>Charts</h2>
    <figure><figcaption>Throughput per batch (transactions per second)</figcaption><div class="chart" id="chart-throughput"></div></figure>
    <figure><figcaption>Settlement latency (seconds since the batches were submitted)</figcaption><div class="chart" id="chart-latency"></div></figure>
  </section>`;
  const width = () => Math.max(280, Math.min(900, root.clientWidth - 16));
  throughput = make(root, '#chart-throughput', width(), {
    x: { time: false, label: 'batch number' },
    y: 'tx/s',
    series: [
      { label: 'parallel (measured)', stroke: '#1565c0', unit: 'tx/s' },
      { label: 'sequential (estimate)', stroke: '#9e9e9e', unit: 'tx/s' },
    ],
  });
  latency = make(root, '#chart-latency', width(), {
    x: { time: true, label: 'settlement proposed' },
    y: 's',
    series: [
      { label: 'submitted → broadcast', stroke: '#2e7d32', unit: 's' },
      { label: 'submitted → confirmed', stroke: '#ef6c00', unit: 's' },
    ],
  });
  window.addEventListener('resize', () => {
    for (const c of [throughput, latency]) c?.plot.setSize({ width: width(), height: 220 });
  });
}

function make(
  root: HTMLElement,
  selector: string,
  width: number,
  o: {
    x: { time: boolean; label: string };
    y: string;
    series: { label: string; stroke: string; unit: string }[];
  },
): Chart {
  const el = root.querySelector(selector) as HTMLElement;
  const plot = new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: o.x.time } },
      axes: [{ label: o.x.label }, { label: o.y }],
      series: [
        { label: o.x.label },
        ...o.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 2,
          points: { show: true },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ${s.unit}`),
        })),
      ],
    },
    [[], ...o.series.map(() => [])],
    el,
  );
  return { plot, el };
}

export function updateCharts(state: State): void {
  if (throughput !== undefined) {
    const batches = state.batchList
      .filter((b) => b.number !== null && b.executionMs !== null)
      .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
    setData(throughput.plot, 1, [
      batches.map((b) => b.number ?? 0),
      batches.map((b) => txPerSecond(b.txCount, b.executionMs)),
      batches.map((b) => txPerSecond(b.txCount, b.sequentialEstimateMs)),
    ]);
  }
  if (latency !== undefined) {
    const rows = state.history
      .filter((s) => s.broadcastAt !== null)
      .map((s) => {
        const submitted = Math.min(
          ...s.batchIds.map((id) => Date.parse(state.batches.get(id)?.createdAt ?? s.createdAt)),
        );
        const since = (iso: string | null) =>
          iso === null ? null : (Date.parse(iso) - submitted) / 1000;
        return {
          at: Date.parse(s.createdAt) / 1000,
          broadcast: since(s.broadcastAt),
          confirmed: since(s.confirmedAt),
        };
      })
      .sort((a, b) => a.at - b.at);
    setData(latency.plot, 60, [
      rows.map((r) => r.at),
      rows.map((r) => r.broadcast),
      rows.map((r) => r.confirmed),
    ]);
  }
}

/**
 * The data, and for a single point an x range of `pad` either side of it: uPlot would otherwise
 * stretch one time point's axis over years.
 */
function setData(plot: uPlot, pad: number, data: (number | null)[][]): void {
  plot.setData(data as uPlot.AlignedData, data[0]?.length !== 1);
  const x = data[0]?.[0];
  if (data[0]?.length === 1 && typeof x === 'number') {
    plot.setScale('x', { min: x - pad, max: x + pad });
  }
}
