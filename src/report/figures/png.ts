/** Minimal PNG encoder (8-bit RGBA, no interlace) for rendered images, and SVG → PNG through resvg. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { deflateSync, inflateSync } from "node:zlib";
import { Resvg } from "@resvg/resvg-js";
import { writeFileAtomic } from "../../io/atomic.js";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major from the top. */
  data: Uint8Array;
}

export function encodePng(img: RgbaImage): Uint8Array {
  const { width, height, data } = img;
  const raw = new Uint8Array(height * (1 + width * 4));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function pngDataUri(img: RgbaImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(img)).toString("base64")}`;
}

/** DejaVu Sans from the dejavu-fonts-ttf package: figures render the same on every machine. */
function fontFiles(): string[] {
  const pkg = createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json");
  return ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => join(dirname(pkg), "ttf", f));
}

/** Renders SVG to PNG bytes (resvg, embedded DejaVu fonts). */
export function svgToPng(svg: string, scale = 1): Uint8Array {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: scale === 1 ? { mode: "original" } : { mode: "zoom", value: scale },
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Renders SVG to a PNG file, atomically. */
export function writeSvgAsPng(path: string, svg: string, scale = 1): void {
  writeFileAtomic(path, [svgToPng(svg, scale)]);
}

/** Decodes 8-bit RGB/RGBA non-interlaced PNGs (all five row filters), e.g. browser screenshots in tests. */
export function decodePng(png: Uint8Array): RgbaImage {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  let colorType = 6;
  const idat: Uint8Array[] = [];
  while (o + 8 <= png.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    if (type === "IHDR") {
      width = v.getUint32(o + 8);
      height = v.getUint32(o + 12);
      if (png[o + 16] !== 8 || png[o + 20] !== 0) throw new Error("decodePng: only 8-bit, non-interlaced images");
      colorType = png[o + 17];
    }
    if (type === "IDAT") idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`decodePng: colour type ${colorType} not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = cur[x * channels + k];
      out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, data: out };
}
