/**
 * A publication-style cortical map: both hemispheres, lateral and medial views, a title and a colour bar,
 * written as PNG (and usable as SVG).
 */
import { join } from "node:path";
import { giftiMesh, readGifti } from "../../fmri/formats/gifti.js";
import { colorBarSvg } from "./colorBar.js";
import { blueWhiteRed, viridis, type Colormap } from "./colormaps.js";
import { pngDataUri, writeSvgAsPng } from "./png.js";
import { renderHemisphere, type HemisphereMesh, type View } from "./surface.js";
import { embeddedData } from "../../io/paths.js";

export const FSAVERAGE5_VERTICES = 10242;
export const EMBEDDED_FSAVERAGE5 = embeddedData("fsaverage5");

export function loadFsaverage5(
  dir = EMBEDDED_FSAVERAGE5,
  surface: "infl" | "pial" = "infl",
): { L: HemisphereMesh; R: HemisphereMesh } {
  const load = (side: "left" | "right"): HemisphereMesh => {
    const mesh = giftiMesh(readGifti(join(dir, `${surface}_${side}.gii.gz`)), `${surface}_${side}`);
    const sulc = readGifti(join(dir, `sulc_${side}.gii.gz`)).darrays[0].data as Float32Array;
    return { coords: mesh.coords, faces: mesh.faces, sulc };
  };
  return { L: load("left"), R: load("right") };
}

export interface BrainMapSpec {
  title: string;
  /** Per-vertex values per hemisphere (fsaverage5, or fsaverage6: the first 10,242 are used). */
  values: { L: ArrayLike<number>; R: ArrayLike<number> };
  label: string;
  colormap?: "viridis" | "diverging";
  vmin?: number;
  vmax?: number;
  threshold?: number;
  /** Colour-bar ticks; default: round numbers. Discrete maps (layers, word distances) pass their own values. */
  ticks?: number[];
  meshes?: { L: HemisphereMesh; R: HemisphereMesh };
}

/** Whole-number ticks from lo to hi, at most about `target` of them (for maps of layers or words ahead). */
export function integerTicks(lo: number, hi: number, target = 6): number[] {
  const raw = Math.max(1, (hi - lo) / target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** Lateral and medial views of both fsaverage5 hemispheres coloured by per-vertex values, as SVG. */
export function brainMapSvg(spec: BrainMapSpec): string {
  const meshes = spec.meshes ?? loadFsaverage5();
  const take = (v: ArrayLike<number>) =>
    Float64Array.from({ length: FSAVERAGE5_VERTICES }, (_, i) => (i < v.length ? v[i] : NaN));
  const L = take(spec.values.L);
  const R = take(spec.values.R);
  const finite = [...L, ...R].filter(Number.isFinite);
  const absMax = finite.length ? Math.max(...finite.map(Math.abs)) : 1;
  const diverging = (spec.colormap ?? (finite.some((v) => v < 0) ? "diverging" : "viridis")) === "diverging";
  const vmin = spec.vmin ?? (diverging ? -absMax : finite.length ? Math.min(...finite) : 0);
  const vmax = spec.vmax ?? (diverging ? absMax : absMax);
  const cmap: Colormap = diverging ? blueWhiteRed : viridis;
  const size = { width: 360, height: 260 };
  const panels: [string, "L" | "R", View, Float64Array][] = [
    ["left lateral", "L", "lateral", L],
    ["right lateral", "R", "lateral", R],
    ["left medial", "L", "medial", L],
    ["right medial", "R", "medial", R],
  ];
  const W = 2 * size.width + 140;
  const H = 2 * size.height + 90;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="16" y="28" font-size="16" font-weight="bold">${spec.title.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`,
  ];
  panels.forEach(([name, hemi, view, vals], i) => {
    const img = renderHemisphere(meshes[hemi], vals, hemi, view, {
      colormap: cmap,
      vmin,
      vmax,
      threshold: spec.threshold,
      size,
    });
    const x = 10 + (i % 2) * size.width;
    const y = 44 + Math.floor(i / 2) * (size.height + 18);
    out.push(
      `<image x="${x}" y="${y}" width="${size.width}" height="${size.height}" xlink:href="${pngDataUri(img)}"/>`,
    );
    out.push(
      `<text x="${x + size.width / 2}" y="${y + size.height + 12}" text-anchor="middle" font-size="12" fill="#444">${name}</text>`,
    );
  });
  out.push(
    ...colorBarSvg({
      cmap,
      vmin,
      vmax,
      x: 2 * size.width + 40,
      y: 60,
      height: 2 * size.height - 20,
      label: spec.label,
      ticks: spec.ticks,
    }),
  );
  out.push("</svg>");
  return out.join("\n");
}

export function writeBrainMapPng(path: string, spec: BrainMapSpec): void {
  writeSvgAsPng(path, brainMapSvg(spec));
}
