/** The vertical colour bar of the map figures (surface maps, volume mosaics): gradient, ticks, label. */
import { hex, type Colormap } from "./colormaps.js";
import { niceTicks } from "./lineChart.js";

export interface ColorBarSpec {
  cmap: Colormap;
  vmin: number;
  vmax: number;
  x: number;
  y: number;
  height: number;
  label: string;
  /** Default: round numbers between vmin and vmax. */
  ticks?: number[];
}

/** SVG elements of the bar (its gradient is defined inline with id "cb": one bar per figure). */
export function colorBarSvg(s: ColorBarSpec): string[] {
  const out = [`<defs><linearGradient id="cb" x1="0" y1="1" x2="0" y2="0">`];
  for (let k = 0; k <= 10; k++) out.push(`<stop offset="${k / 10}" stop-color="${hex(s.cmap(k / 10))}"/>`);
  out.push(
    `</linearGradient></defs><rect x="${s.x}" y="${s.y}" width="18" height="${s.height}" fill="url(#cb)" stroke="#333"/>`,
  );
  for (const t of (s.ticks ?? niceTicks(s.vmin, s.vmax, 5)).filter((t) => t >= s.vmin && t <= s.vmax)) {
    const ty = s.y + s.height - ((t - s.vmin) / (s.vmax - s.vmin || 1)) * s.height;
    out.push(
      `<line x1="${s.x + 18}" x2="${s.x + 23}" y1="${ty}" y2="${ty}" stroke="#333"/><text x="${s.x + 26}" y="${ty + 4}" font-size="11">${+t.toPrecision(3)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(${s.x - 8} ${s.y + s.height / 2}) rotate(-90)" text-anchor="middle" font-size="12">${s.label}</text>`,
  );
  return out;
}
