/**
 * A volume map as a mosaic of axial slices (the subject-space maps of volumetric datasets, e.g. LeBel's
 * pycortex grids): the slices that hold values, evenly picked, each drawn with x to the right and y up in
 * voxel axes (no resampling, so a subject's own grid is shown as stored), NaN (outside the mask) dark grey,
 * values coloured around 0 with a colour bar.
 */
import { colorBarSvg } from "./colorBar.js";
import { blueWhiteRed, viridis, type Colormap } from "./colormaps.js";
import { pngDataUri, type RgbaImage } from "./png.js";

export interface VolumeMosaicSpec {
  title: string;
  /** [x, y, z]. */
  shape: number[];
  /** Values in file order (x fastest), NaN outside the mask. */
  data: ArrayLike<number>;
  label: string;
  /** At most this many slices (default 12). */
  slices?: number;
  vmin?: number;
  vmax?: number;
}

/** The mosaic as SVG (a raster per slice, embedded as PNG, plus labels and the colour bar). */
export function volumeMosaicSvg(spec: VolumeMosaicSpec): string {
  const [nx, ny, nz] = spec.shape;
  if (spec.data.length !== nx * ny * nz)
    throw new Error(`volume mosaic: ${spec.data.length} values for a ${spec.shape.join(" × ")} grid`);
  const withValues: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let z = 0; z < nz; z++) {
    let any = false;
    for (let i = z * nx * ny; i < (z + 1) * nx * ny; i++) {
      const v = spec.data[i];
      if (Number.isFinite(v)) {
        any = true;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (any) withValues.push(z);
  }
  const count = Math.min(spec.slices ?? 12, withValues.length);
  const picked = Array.from(
    { length: count },
    (_, k) => withValues[Math.round(((k + 0.5) * withValues.length) / count - 0.5)],
  );
  const diverging = lo < 0;
  const absMax = Math.max(Math.abs(lo), Math.abs(hi), 1e-12);
  const vmin = spec.vmin ?? (diverging ? -absMax : 0);
  const vmax = spec.vmax ?? absMax;
  const cmap: Colormap = diverging ? blueWhiteRed : viridis;
  // Each slice scaled to about 160 px on its longer side, whole pixels per voxel.
  const scale = Math.max(1, Math.floor(160 / Math.max(nx, ny)));
  const w = nx * scale;
  const h = ny * scale;
  const cols = Math.min(4, Math.max(1, count));
  const rows = Math.max(1, Math.ceil(count / cols));
  const W = cols * (w + 10) + 130;
  const H = rows * (h + 22) + 60;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="12" y="26" font-size="15" font-weight="bold">${spec.title.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`,
  ];
  if (count === 0) out.push(`<text x="12" y="56" fill="#444">no finite value in the volume</text>`);
  picked.forEach((z, k) => {
    const img: RgbaImage = { width: w, height: h, data: new Uint8Array(w * h * 4) };
    for (let py = 0; py < h; py++) {
      const y = ny - 1 - Math.floor(py / scale);
      for (let px = 0; px < w; px++) {
        const v = spec.data[z * nx * ny + y * nx + Math.floor(px / scale)];
        const [r, g, b] = Number.isFinite(v)
          ? cmap(Math.min(1, Math.max(0, (v - vmin) / (vmax - vmin || 1))))
          : [40, 40, 40];
        img.data.set([r, g, b, 255], (py * w + px) * 4);
      }
    }
    const x0 = 10 + (k % cols) * (w + 10);
    const y0 = 40 + Math.floor(k / cols) * (h + 22);
    out.push(`<image x="${x0}" y="${y0}" width="${w}" height="${h}" xlink:href="${pngDataUri(img)}"/>`);
    out.push(
      `<text x="${x0 + w / 2}" y="${y0 + h + 14}" text-anchor="middle" font-size="11" fill="#444">z = ${z}</text>`,
    );
  });
  out.push(
    ...colorBarSvg({
      cmap,
      vmin,
      vmax,
      x: cols * (w + 10) + 40,
      y: 50,
      height: Math.max(120, H - 100),
      label: spec.label,
    }),
  );
  out.push("</svg>");
  return out.join("\n");
}
