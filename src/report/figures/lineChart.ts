/**
 * Line charts as SVG (then PNG): brain score per layer, F(d) per region in the style of the paper's Fig. 2
 * — one line per series, an optional shaded band (e.g. a bootstrap CI), a zero line and marked peaks.
 */
import { hex, viridis } from "./colormaps.js";

export interface Series {
  name: string;
  x: number[];
  y: number[];
  band?: { low: number[]; high: number[] };
  color?: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Vertical reference line (e.g. d = 0). */
  vline?: number;
  /** Mark each series' maximum. */
  markPeaks?: boolean;
  /** A dot at every point (series of one or a few points, e.g. one model per family). */
  markers?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round tick positions covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/** A line chart (series, optional bands and peak markers) as SVG. */
export function lineChartSvg(spec: LineChartSpec): string {
  const W = spec.width ?? 800;
  const H = spec.height ?? 420;
  const m = { left: 72, right: 280, top: 48, bottom: 58 };
  const xs = spec.series.flatMap((s) => s.x);
  const ys = spec.series
    .flatMap((s) => [...s.y, ...(s.band?.low ?? []), ...(s.band?.high ?? [])])
    .filter(Number.isFinite);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (spec.markers) {
    // Dots at the ends must not sit on the frame.
    const xp = (x1 - x0 || 1) * 0.05;
    [x0, x1] = [x0 - xp, x1 + xp];
  }
  let [y0, y1] = ys.length ? [Math.min(...ys, 0), Math.max(...ys, 0)] : [0, 1];
  if (y1 - y0 < 1e-12) y1 = y0 + 1;
  const pad = (y1 - y0) * 0.06;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="28" font-size="16" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${py(t) + 4}" text-anchor="end">${+t.toPrecision(4)}</text>`);
  }
  const integerX = xs.every(Number.isInteger);
  for (const t of niceTicks(x0, x1, 10).filter((t) => !integerX || Number.isInteger(t)))
    out.push(`<text x="${px(t)}" y="${H - m.bottom + 18}" text-anchor="middle">${t}</text>`);
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(0)}" y2="${py(0)}" stroke="#888"/>`);
  if (spec.vline !== undefined && spec.vline >= x0 && spec.vline <= x1) {
    out.push(
      `<line x1="${px(spec.vline)}" x2="${px(spec.vline)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#888" stroke-dasharray="4 4"/>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`,
  );
  spec.series.forEach((s, i) => {
    const color = s.color ?? hex(viridis(spec.series.length === 1 ? 0.35 : (i / (spec.series.length - 1)) * 0.9));
    if (s.band) {
      const up = s.x.map((x, k) => `${px(x)},${py(s.band!.high[k])}`);
      const down = s.x.map((x, k) => `${px(x)},${py(s.band!.low[k])}`).reverse();
      out.push(`<polygon points="${[...up, ...down].join(" ")}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
    }
    const pts = s.x.map((x, k) => (Number.isFinite(s.y[k]) ? `${px(x)},${py(s.y[k])}` : null)).filter(Boolean);
    out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2.2"/>`);
    if (spec.markers)
      s.x.forEach(
        (x, k) =>
          Number.isFinite(s.y[k]) &&
          out.push(`<circle cx="${px(x)}" cy="${py(s.y[k])}" r="4" fill="${color}" stroke="white"/>`),
      );
    if (spec.markPeaks) {
      let k = 0;
      s.y.forEach((v, j) => (v > s.y[k] ? (k = j) : 0));
      out.push(`<circle cx="${px(s.x[k])}" cy="${py(s.y[k])}" r="4.5" fill="${color}" stroke="white"/>`);
    }
    const ly = m.top + 10 + i * 20;
    out.push(
      `<line x1="${W - m.right + 14}" x2="${W - m.right + 38}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
    );
    const peak = spec.markPeaks ? ` (peak ${s.x[s.y.indexOf(Math.max(...s.y.filter(Number.isFinite)))]})` : "";
    out.push(`<text x="${W - m.right + 44}" y="${ly + 4}" font-size="12">${esc(s.name + peak)}</text>`);
  });
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 14}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(
    `<text transform="translate(18 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  out.push("</svg>");
  return out.join("\n");
}
