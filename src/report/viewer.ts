/**
 * An interactive cortical map viewer: a folder with index.html and NiiVue's browser bundle (@niivue/niivue),
 * the fsaverage5 inflated meshes and every map embedded as GIfTI data, so it opens offline from disk (no
 * server). A menu switches maps; NiiVue gives rotation, zoom and colour maps. It opens on the map the caller
 * names (the run: the best layer's FDR-thresholded brain scores), with one colour bar and a legend that says
 * what is shown, in which unit, and from which value on.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeGifti } from "../fmri/formats/gifti.js";
import { copyFileAtomic, writeFileAtomic } from "../io/atomic.js";
import { FSAVERAGE5_VERTICES, loadFsaverage5 } from "./figures/brainMap.js";

export interface ViewerMap {
  name: string;
  L: ArrayLike<number>;
  R: ArrayLike<number>;
  /** Values below this (absolute) are transparent. */
  threshold?: number;
  min?: number;
  max?: number;
  /** What the colours measure, e.g. "Pearson r" or "d* (words)", shown in the legend. */
  label?: string;
  /** Negative values coloured too (a second colour map); off for maps where only positive values mean something. */
  signed?: boolean;
  /** A line under the legend (e.g. "no vertex FDR-significant: r > 0 shown"). */
  note?: string;
}

export interface ViewerOptions {
  /** The map shown first (index into `maps`). */
  initial?: number;
}

/** "colour: Pearson r, 0.02 … 0.31 (below 0.02 not shown)": what a colour bar alone does not say. */
function legendOf(m: ViewerMap, min: number, max: number): string {
  const f = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? String(Math.round(x)) : x.toPrecision(2));
  const range = m.signed
    ? `±${f(min)} … ±${f(max)} (|value| below ${f(min)} not shown)`
    : `${f(min)} … ${f(max)} (below ${f(min)} not shown)`;
  return `colour: ${m.label ?? "value"}, ${range}`;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

function valuesGifti(values: ArrayLike<number>, missing = 0): string {
  // Missing map vertices get `missing`: below the colour scale's start, NiiVue leaves them transparent (a 0
  // would be painted at cal_min, and a NaN breaks its colour lookup).
  const data = Float32Array.from({ length: FSAVERAGE5_VERTICES }, (_, i) =>
    i < values.length && Number.isFinite(values[i]) ? values[i] : missing,
  );
  return b64(
    encodeGifti([{ intent: "NIFTI_INTENT_NONE", data, dims: [FSAVERAGE5_VERTICES] }], { encoding: "Base64Binary" }),
  );
}

/** Writes <dir>/index.html and <dir>/niivue.umd.js; returns the HTML path. */
export function writeMapViewer(dir: string, title: string, maps: ViewerMap[], options: ViewerOptions = {}): string {
  if (maps.length === 0) throw new Error("map viewer: no maps");
  const initial = options.initial ?? 0;
  if (!(Number.isInteger(initial) && initial >= 0 && initial < maps.length))
    throw new Error(`map viewer: initial map ${initial} is not one of the ${maps.length} maps`);
  mkdirSync(dir, { recursive: true });
  // The package exports only its ES module entry (build/niivue/index.js); the browser bundle sits in dist/.
  const entry = fileURLToPath(import.meta.resolve("@niivue/niivue"));
  const bundle = join(dirname(entry), "..", "..", "dist", "niivue.umd.js");
  copyFileAtomic(bundle, join(dir, "niivue.umd.js"));
  const meshes = loadFsaverage5();
  // Hemispheres side by side: the inflated surfaces would otherwise overlap at the midline.
  const meshGifti = (h: "L" | "R") => {
    const c = Float32Array.from(meshes[h].coords);
    for (let v = 0; v < c.length; v += 3) c[v] += h === "L" ? -40 : 40;
    return b64(
      encodeGifti(
        [
          { intent: "NIFTI_INTENT_POINTSET", data: c, dims: [c.length / 3, 3] },
          { intent: "NIFTI_INTENT_TRIANGLE", data: meshes[h].faces, dims: [meshes[h].faces.length / 3, 3] },
        ],
        { encoding: "Base64Binary" },
      ),
    );
  };
  const payload = {
    meshes: { L: meshGifti("L"), R: meshGifti("R") },
    sulc: { L: valuesGifti(meshes.L.sulc!), R: valuesGifti(meshes.R.sulc!) },
    maps: maps.map((m) => {
      const finite = [...Array.from(m.L), ...Array.from(m.R)].filter(Number.isFinite);
      const absMax = finite.length ? Math.max(...finite.map(Math.abs)) : 1;
      const min = m.min ?? m.threshold ?? 0;
      const max = m.max ?? absMax;
      const missing = m.signed ? 0 : min - (max - min || 1);
      // NiiVue reads a cal_min of 0 as "unset" and falls back to the data's minimum (a scale from the
      // missing vertices up): a threshold of 0 is passed as the smallest positive step instead.
      const calMin = min === 0 ? 1e-9 * (max || 1) : min;
      return {
        name: m.name,
        L: valuesGifti(m.L, missing),
        R: valuesGifti(m.R, missing),
        min: calMin,
        max,
        signed: m.signed ?? false,
        legend: legendOf(m, min, max),
        note: m.note ?? "",
      };
    }),
  };
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title.replace(/</g, "&lt;")}</title>
<style>html,body{margin:0;height:100%;font-family:sans-serif;background:#fff}#bar{position:absolute;top:8px;left:8px;z-index:2;background:#ffffffd0;padding:6px 10px;border-radius:6px}#legend{font-size:13px;margin-top:4px}#note{font-size:12px;color:#a33}#gl{width:100%;height:100%;display:block}</style>
</head><body>
<div id="bar"><b>${title.replace(/</g, "&lt;")}</b> &nbsp; <select id="map"></select> <span id="status">loading…</span><div id="legend"></div><div id="note"></div></div>
<canvas id="gl"></canvas>
<script src="niivue.umd.js"></script>
<script>
const data = ${JSON.stringify(payload)};
const url = (b) => "data:application/octet-stream;base64," + b;
const nv = new niivue.Niivue({ backColor: [1, 1, 1, 1], show3Dcrosshair: false, isColorbar: true });
const select = document.getElementById("map");
data.maps.forEach((m, i) => select.add(new Option(m.name, String(i))));
async function show(i) {
  const m = data.maps[i];
  const mesh = (h) => ({
    url: url(data.meshes[h]), name: (h === "L" ? "lh" : "rh") + ".inflated.gii",
    layers: [
      { url: url(data.sulc[h]), name: "sulc.gii", colormap: "gray", cal_min: -2, cal_max: 2, opacity: 0.6 },
      { url: url(m[h]), name: "map.gii", colormap: "warm", ...(m.signed ? { colormapNegative: "winter", useNegativeCmap: true } : {}), cal_min: m.min, cal_max: m.max, opacity: 1 },
    ],
  });
  await nv.loadMeshes([mesh("L"), mesh("R")]);
  // One colour bar: the map's, once (both hemispheres share its scale; the legend names it), no sulcal one.
  nv.meshes.forEach((mesh, k) => mesh.layers.forEach((layer, j) => (layer.colorbarVisible = k === 0 && j === 1)));
  nv.updateGLVolume();
  nv.setSliceType(nv.sliceTypeRender);
  nv.setRenderAzimuthElevation(270, 15);
  document.getElementById("status").textContent = "";
  document.getElementById("legend").textContent = m.legend;
  document.getElementById("note").textContent = m.note;
  select.value = String(i);
  document.title = "ready: " + m.name;
}
select.onchange = () => show(Number(select.value));
nv.attachTo("gl").then(() => show(${initial})).catch((e) => { document.getElementById("status").textContent = "error: " + e; document.title = "error: " + e; });
</script></body></html>
`;
  const path = join(dir, "index.html");
  writeFileAtomic(path, [new TextEncoder().encode(html)]);
  return path;
}
