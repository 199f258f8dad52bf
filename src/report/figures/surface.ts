/**
 * Cortical maps rendered without a GPU: each hemisphere's mesh (fsaverage5 inflated by default) is
 * rasterised with a z-buffer from four viewpoints (left/right × lateral/medial), coloured by the map where
 * it passes the threshold and by sulcal depth elsewhere, shaded by the surface normal. fsaverage6 maps are
 * shown by taking each hemisphere's first 10,242 values (fsaverage meshes are nested).
 */
import { type Colormap } from "./colormaps.js";
import type { RgbaImage } from "./png.js";

export interface HemisphereMesh {
  coords: Float32Array;
  faces: Int32Array;
  /** Sulcal depth per vertex (for the grey background), optional. */
  sulc?: Float32Array | Float64Array;
}

export type View = "lateral" | "medial";

export interface SurfaceRenderOptions {
  colormap: Colormap;
  vmin: number;
  vmax: number;
  /** Values with |v| below this (or NaN) show the anatomy instead. */
  threshold?: number;
  size?: { width: number; height: number };
}

/** Screen basis for a hemisphere and view: [right vector, up vector, towards-viewer vector]. */
function camera(hemi: "L" | "R", view: View): number[][] {
  const fromLeft = (hemi === "L") === (view === "lateral");
  // Viewer on the −x side looks along +x: screen right = −y; viewer on +x: screen right = +y.
  return fromLeft
    ? [
        [0, -1, 0],
        [0, 0, 1],
        [-1, 0, 0],
      ]
    : [
        [0, 1, 0],
        [0, 0, 1],
        [1, 0, 0],
      ];
}

export function renderHemisphere(
  mesh: HemisphereMesh,
  values: ArrayLike<number>,
  hemi: "L" | "R",
  view: View,
  o: SurfaceRenderOptions,
): RgbaImage {
  const { width, height } = o.size ?? { width: 360, height: 260 };
  const nV = mesh.coords.length / 3;
  const [right, up, toward] = camera(hemi, view);
  const sx = new Float64Array(nV);
  const sy = new Float64Array(nV);
  const sz = new Float64Array(nV);
  for (let v = 0; v < nV; v++) {
    const p = [mesh.coords[3 * v], mesh.coords[3 * v + 1], mesh.coords[3 * v + 2]];
    sx[v] = p[0] * right[0] + p[1] * right[1] + p[2] * right[2];
    sy[v] = p[0] * up[0] + p[1] * up[1] + p[2] * up[2];
    sz[v] = p[0] * toward[0] + p[1] * toward[1] + p[2] * toward[2];
  }
  const [minX, maxX, minY, maxY] = [Math.min(...sx), Math.max(...sx), Math.min(...sy), Math.max(...sy)];
  const scale = 0.94 * Math.min(width / (maxX - minX), height / (maxY - minY));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const X = (v: number) => width / 2 + (sx[v] - cx) * scale;
  const Y = (v: number) => height / 2 - (sy[v] - cy) * scale;
  // Vertex colours.
  const colour = new Float64Array(nV * 3);
  const thr = o.threshold ?? 0;
  for (let v = 0; v < nV; v++) {
    const val = values[v];
    let c: [number, number, number];
    if (Number.isFinite(val) && Math.abs(val) >= thr && !(thr === 0 && val === 0 && o.vmin >= 0)) {
      c = o.colormap((val - o.vmin) / (o.vmax - o.vmin || 1));
    } else {
      const s = mesh.sulc ? mesh.sulc[v] : 0;
      const g = s > 0 ? 150 : 200;
      c = [g, g, g];
    }
    colour.set(c, v * 3);
  }
  const img = new Uint8Array(width * height * 4).fill(255);
  const depth = new Float64Array(width * height).fill(-Infinity);
  const f = mesh.faces;
  for (let t = 0; t < f.length; t += 3) {
    const [a, b, c] = [f[t], f[t + 1], f[t + 2]];
    const [ax, ay, bx, by, qx, qy] = [X(a), Y(a), X(b), Y(b), X(c), Y(c)];
    const area = (bx - ax) * (qy - ay) - (qx - ax) * (by - ay);
    if (Math.abs(area) < 1e-12) continue;
    // Lambert shading from the face normal (towards-viewer component).
    const e1 = [0, 1, 2].map((k) => mesh.coords[3 * b + k] - mesh.coords[3 * a + k]);
    const e2 = [0, 1, 2].map((k) => mesh.coords[3 * c + k] - mesh.coords[3 * a + k]);
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const shade =
      0.35 + 0.65 * Math.abs((n[0] * toward[0] + n[1] * toward[1] + n[2] * toward[2]) / (Math.hypot(...n) || 1));
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, qx)));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx, qx)));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, qy)));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by, qy)));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const w0 = ((bx - px) * (qy - py) - (qx - px) * (by - py)) / area;
        const w1 = ((qx - px) * (ay - py) - (ax - px) * (qy - py)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const z = w0 * sz[a] + w1 * sz[b] + w2 * sz[c];
        const i = y * width + x;
        if (z <= depth[i]) continue;
        depth[i] = z;
        for (let k = 0; k < 3; k++)
          img[i * 4 + k] = Math.round(
            shade * (w0 * colour[a * 3 + k] + w1 * colour[b * 3 + k] + w2 * colour[c * 3 + k]),
          );
        img[i * 4 + 3] = 255;
      }
    }
  }
  return { width, height, data: img };
}
