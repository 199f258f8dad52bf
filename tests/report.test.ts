/** Tables (Parquet + CSV), PNG encoding, charts and cortical maps. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { brainMapSvg, loadFsaverage5 } from "../src/report/figures/brainMap.js";
import { lineChartSvg, niceTicks } from "../src/report/figures/lineChart.js";
import { encodePng, svgToPng } from "../src/report/figures/png.js";
import { renderHemisphere } from "../src/report/figures/surface.js";
import { viridis } from "../src/report/figures/colormaps.js";
import { writeTable } from "../src/report/table.js";

const dir = mkdtempSync(join(tmpdir(), "report-"));

/** Decodes our own 8-bit RGBA PNGs (filter 0) back to pixels, to check what a person would see. */
function decodePng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (o < png.length) {
    const len = v.getUint32(o);
    const type = new TextDecoder().decode(png.subarray(o + 4, o + 8));
    if (type === "IHDR") [width, height] = [v.getUint32(o + 8), v.getUint32(o + 12)];
    if (type === "IDAT") idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return { width, height, pixels: inflateSync(Buffer.concat(idat)) };
}

describe("tables", () => {
  it("writes Parquet and CSV that read back with the right types", async () => {
    const rows = [
      { subject: "sub-001", layer: 8, d: -2, score: 0.125, region: null },
      { subject: "sub-002", layer: 8, d: 3, score: NaN, region: "G_temp_sup" },
    ];
    const [pq, csv] = writeTable(join(dir, "scores"), rows);
    const buf = readFileSync(pq);
    const back = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) });
    expect(back[0]).toEqual(rows[0]);
    expect(Number.isNaN(back[1].score)).toBe(true);
    expect(readFileSync(csv, "utf8").split("\n")[0]).toBe("subject,layer,d,score,region");
  });
});

describe("figures", () => {
  it("encodes PNGs that decode to the same pixels", () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) };
    const back = decodePng(encodePng(img));
    expect([back.width, back.height]).toEqual([3, 2]);
    expect(back.pixels[0]).toBe(0); // filter byte
    expect(Array.from(back.pixels.subarray(1, 13))).toEqual(Array.from(img.data.subarray(0, 12)));
  });

  it("renders a line chart with text to a non-blank PNG", () => {
    const d = [-2, -1, 0, 1, 2];
    const png = svgToPng(
      lineChartSvg({
        title: "F(d)",
        xLabel: "d",
        yLabel: "F",
        series: [{ name: "a", x: d, y: [0, 1, 3, 1, 0] }],
        markPeaks: true,
      }),
    );
    expect(Array.from(png.subarray(1, 4), (c) => String.fromCharCode(c)).join("")).toBe("PNG");
    expect(png.length).toBeGreaterThan(5000);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("rasterises each hemisphere from the expected side (anterior left in the left lateral view)", () => {
    const m = loadFsaverage5();
    const y = Float64Array.from({ length: 10242 }, (_, i) => m.L.coords[3 * i + 1]);
    const img = renderHemisphere(m.L, y, "L", "lateral", {
      colormap: viridis,
      vmin: -100,
      vmax: 100,
      size: { width: 200, height: 150 },
    });
    const colourAt = (x: number) => {
      for (let row = 0; row < 150; row++) {
        const i = (row * 200 + x) * 4;
        if (img.data[i] !== 255 || img.data[i + 1] !== 255) return [img.data[i], img.data[i + 1], img.data[i + 2]];
      }
      return null;
    };
    // viridis: anterior (+y) is yellow (high green), posterior dark purple (low green).
    expect(colourAt(30)![1]).toBeGreaterThan(colourAt(170)![1]);
    const painted = img.data.filter((_, i) => i % 4 === 0 && img.data[i] !== 255).length;
    expect(painted).toBeGreaterThan(0.3 * 200 * 150);
  });

  it("composes a four-view map with a colour bar", () => {
    const zeros = new Float64Array(10242);
    const svg = brainMapSvg({ title: "t", values: { L: zeros, R: zeros.map((_, i) => (i % 7) / 7) }, label: "r" });
    expect((svg.match(/<image /g) ?? []).length).toBe(4);
    expect(svg).toContain("linearGradient");
    expect(svgToPng(svg).length).toBeGreaterThan(20000);
  });
});
