/** The scale-curve report: shapes, the Markdown table and the SVG plot (no side effects; bench/scale.ts runs the measurements). */
import { toMarkdown } from '../src/eval/report.js';
import { pairedRandomizationP, SIGNIFICANCE, significantlyBetter, type BenchReport } from './report.js';
import type { ScaleResult } from './scale-child.js';
import { describeEnvironment, type Environment } from './stats.js';

export interface ScalePoint extends ScaleResult {
  reps: number;
}

export interface ScaleReport {
  environment: Environment;
  seed: number;
  numQueries: number;
  passes: number;
  topK: number;
  /** Analysis threads of the writer during the builds (absent in results from before threads). */
  threads?: number;
  points: ScalePoint[];
}

export const MB = 1e6;
export const f2 = (x: number) => x.toFixed(2);
export const f3 = (x: number) => x.toFixed(3);
export const sizeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/**
 * A log–log line chart of latency (ms) against corpus size (documents), one polyline per series,
 * hand-written SVG 1.1 (no fonts beyond the generic sans-serif).
 */
export function latencySvg(points: readonly ScalePoint[]): string {
  const W = 640;
  const H = 400;
  const L = 70;
  const R = 170;
  const T = 30;
  const B = 50;
  const series: Array<{ name: string; color: string; dash: string; y: (p: ScalePoint) => number }> = [
    { name: '3-term p50', color: '#1f77b4', dash: '', y: (p) => p.threeTerm.p50Ms },
    { name: '3-term p99', color: '#1f77b4', dash: '6 4', y: (p) => p.threeTerm.p99Ms },
    { name: '1–8-term p50', color: '#d62728', dash: '', y: (p) => p.mixed.p50Ms },
    { name: '1–8-term p99', color: '#d62728', dash: '6 4', y: (p) => p.mixed.p99Ms },
  ];
  const xs = points.map((p) => p.numDocs);
  const ys = points.flatMap((p) => series.map((s) => s.y(p))).filter((y) => y > 0);
  if (points.length > 1) ys.push(points[0].threeTerm.p50Ms * (points[points.length - 1].numDocs / points[0].numDocs));
  const x0 = Math.floor(Math.log10(Math.min(...xs)));
  const x1 = Math.ceil(Math.log10(Math.max(...xs)));
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const px = (x: number) => L + ((Math.log10(x) - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const py = (y: number) => H - B - ((Math.log10(Math.max(y, 10 ** y0)) - y0) / Math.max(1, y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(L + W - R) / 2}" y="18" text-anchor="middle" font-size="14">openbook BM25 query latency vs corpus size (top-100, log–log)</text>`,
  ];
  for (let e = x0; e <= x1; e++) {
    const x = px(10 ** e);
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - B + 16}" text-anchor="middle">${sizeLabel(10 ** e)}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
  }
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`);
  out.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">documents (synthetic corpus)</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">latency</text>`);
  // Reference: growth proportional to corpus size, from the first 3-term p50 point.
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length > 1) {
    const yEnd = first.threeTerm.p50Ms * (last.numDocs / first.numDocs);
    out.push(`<line x1="${px(first.numDocs).toFixed(1)}" y1="${py(first.threeTerm.p50Ms).toFixed(1)}" x2="${px(last.numDocs).toFixed(1)}" y2="${py(yEnd).toFixed(1)}" stroke="#999" stroke-dasharray="2 3"/>`);
    const ly = T + 20 + series.length * 20;
    out.push(`<line x1="${W - R + 15}" y1="${ly}" x2="${W - R + 45}" y2="${ly}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${W - R + 50}" y="${ly + 4}">linear growth</text>`);
  }
  series.forEach((s, i) => {
    const pts = points.map((p) => `${px(p.numDocs).toFixed(1)},${py(s.y(p)).toFixed(1)}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of points) out.push(`<circle cx="${px(p.numDocs).toFixed(1)}" cy="${py(s.y(p)).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = T + 20 + i * 20;
    out.push(`<line x1="${W - R + 15}" y1="${ly}" x2="${W - R + 45}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - R + 50}" y="${ly + 4}">${s.name}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function formatScale(r: ScaleReport): string {
  const rows = r.points.map((p) => [
    p.numDocs.toLocaleString('en-US'),
    f2(p.rawTextBytes / MB),
    p.numPostings.toLocaleString('en-US'),
    f2(p.buildSeconds),
    f2(p.buildCpuSeconds),
    f2(p.openSeconds),
    f2(p.peakRssBytes / MB),
    p.readerMemoryBytes === null ? 'n/m' : f2(p.readerMemoryBytes / MB),
    f2(p.bytesOnDisk / MB),
    f3(p.threeTerm.p50Ms),
    f3(p.threeTerm.p99Ms),
    f3(p.threeTerm.cpuMsPerQuery),
    f3(p.mixed.p50Ms),
    f3(p.mixed.p99Ms),
    f3(p.mixed.cpuMsPerQuery),
    String(p.reps),
  ]);
  return [
    `Synthetic corpus (seed ${r.seed}; Zipf s = 1 over 500,000 words, log-normal lengths with median 100 tokens, σ = 0.7); ${r.numQueries} queries of each kind, top-${r.topK}, ${r.passes} passes per process, queries single-threaded; index built with ${r.threads ?? 1} analysis thread${(r.threads ?? 1) === 1 ? '' : 's'}.`,
    describeEnvironment(r.environment, Math.max(...r.points.map((p) => p.reps))) + ' (the reps column says how many builds each row is the median of).',
    '',
    toMarkdown(
      ['documents', 'text MB', 'postings', 'build s', 'build CPU s', 'open s', 'peak RSS MB', 'reader MB', 'disk MB', '3-term p50 ms', '3-term p99 ms', '3-term CPU ms/q', '1–8 p50 ms', '1–8 p99 ms', '1–8 CPU ms/q', 'reps'],
      rows,
    ),
    r.points.some((p) => p.readerMemoryBytes === null)
      ? 'n/m: not measured — that run measured the reader in the building process, where the writer\'s garbage made the number meaningless; later runs measure it in a fresh process.'
      : '',
  ].join('\n');
}


/**
 * The issue's targets checked against the measured reports (either may be missing): one row per
 * target with the measured value and "met" / "missed". Speed verdicts use wall-clock time — the
 * targets' own terms (queries per second of one thread; build minutes, with the writer's analysis
 * threads) — with CPU time shown beside them; read them with the load average the reports state.
 */
export function targetsTable(scifact: BenchReport | null, scale: ScaleReport | null): string {
  const rows: string[][] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  if (scifact) {
    const ob = scifact.systems.find((s) => s.system === 'openbook');
    const peers = scifact.systems.filter((s) => s.system !== 'openbook');
    if (ob && peers.length > 0) {
      const fastestWall = peers.reduce((a, b) => (b.queriesPerSecond > a.queriesPerSecond ? b : a));
      const fastestCpu = peers.reduce((a, b) => (b.queriesPerCpuSecond > a.queriesPerCpuSecond ? b : a));
      const rw = ob.queriesPerSecond / fastestWall.queriesPerSecond;
      const rc = ob.queriesPerCpuSecond / fastestCpu.queriesPerCpuSecond;
      rows.push(['SciFact queries/s ≥ 10× the fastest peer', `${rw.toFixed(1)}× ${fastestWall.system} (wall), ${rc.toFixed(1)}× ${fastestCpu.system} (CPU)`, verdict(rw >= 10)]);
      const higher = peers.filter((p) => p.ndcg10 > ob.ndcg10);
      const significant = significantlyBetter(scifact);
      rows.push([
        `SciFact nDCG@10: no peer significantly better (paired randomization p < ${SIGNIFICANCE})`,
        `openbook ${ob.ndcg10.toFixed(4)}; ${higher.length === 0 ? 'no peer higher' : higher.map((p) => `${p.system} ${p.ndcg10.toFixed(4)} (p = ${pairedRandomizationP(p.perQueryNdcg10, ob.perQueryNdcg10).toFixed(2)})`).join(', ')}`,
        verdict(significant.length === 0),
      ]);
      const builders = peers.filter((p) => p.system !== 'okapibm25');
      const fastestBuild = builders.reduce((a, b) => (b.buildSeconds < a.buildSeconds ? b : a));
      rows.push([
        'build time ≤ the fastest peer that builds an index',
        `openbook ${ob.buildSeconds.toFixed(2)} s wall / ${ob.buildCpuSeconds.toFixed(2)} s CPU; ${fastestBuild.system} ${fastestBuild.buildSeconds.toFixed(2)} s / ${fastestBuild.buildCpuSeconds.toFixed(2)} s`,
        verdict(ob.buildSeconds <= fastestBuild.buildSeconds),
      ]);
      const mem = ob.indexMemoryMB / scifact.rawTextMB;
      rows.push(['in-memory index ≤ 2× raw text', `${ob.indexMemoryMB.toFixed(1)} MB for ${scifact.rawTextMB.toFixed(1)} MB (${mem.toFixed(2)}×)`, verdict(mem <= 2)]);
      if (ob.indexDiskMB !== null) {
        const disk = ob.indexDiskMB / scifact.rawTextMB;
        rows.push(['on-disk index ≤ raw text', `${ob.indexDiskMB.toFixed(1)} MB (${disk.toFixed(2)}×, texts included)`, verdict(disk <= 1)]);
      }
    }
  }
  if (scale) {
    const big = scale.points.find((p) => p.numDocs === 1_000_000);
    const mid = scale.points.find((p) => p.numDocs === 100_000);
    if (big) {
      rows.push(['1M documents: build ≤ 3 min', `${big.buildSeconds.toFixed(0)} s wall, ${big.buildCpuSeconds.toFixed(0)} s CPU`, verdict(big.buildSeconds <= 180)]);
      rows.push(['1M: median 3-term query ≤ 10 ms', `p50 ${big.threeTerm.p50Ms.toFixed(2)} ms wall; mean ${big.threeTerm.cpuMsPerQuery.toFixed(2)} ms CPU`, verdict(big.threeTerm.p50Ms <= 10)]);
      rows.push(['1M: p99 3-term query ≤ 50 ms', `p99 ${big.threeTerm.p99Ms.toFixed(1)} ms wall`, verdict(big.threeTerm.p99Ms <= 50)]);
      if (mid) {
        const g = big.threeTerm.cpuMsPerQuery / mid.threeTerm.cpuMsPerQuery;
        const gw = big.threeTerm.p50Ms / mid.threeTerm.p50Ms;
        rows.push(['sub-linear growth 100k → 1M (10× documents)', `3-term CPU per query ×${g.toFixed(1)}, p50 ×${gw.toFixed(1)}`, verdict(g < 10 && gw < 10)]);
      }
    }
  }
  return rows.length === 0 ? '_no measurements yet_' : toMarkdown(['target (issue 4)', 'measured', 'status'], rows);
}
