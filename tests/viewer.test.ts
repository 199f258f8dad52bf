/** The NiiVue map viewer, opened in headless Chromium (Debian's chromium; .ci/run installs it). */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFsaverage5 } from "../src/report/figures/brainMap.js";
import { decodePng } from "../src/report/figures/png.js";
import { writeMapViewer } from "../src/report/viewer.js";

const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const flags = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--allow-file-access-from-files",
];

describe.skipIf(!chromium)("NiiVue map viewer in headless Chromium", () => {
  it("renders the cortical map (screenshot not blank, map colours present)", () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-"));
    const m = loadFsaverage5();
    const y = (h: "L" | "R") =>
      Float64Array.from({ length: 10242 }, (_, i) => Math.max(0, m[h].coords[3 * i + 1]) / 100);
    const html = writeMapViewer(dir, "test map", [{ name: "anterior", L: y("L"), R: y("R"), threshold: 0.05 }]);
    const profile = mkdtempSync(join(tmpdir(), "chromium-"));
    const run = (extra: string[]) =>
      execFileSync(
        chromium!,
        [
          ...flags,
          `--user-data-dir=${profile}`,
          "--window-size=900,600",
          "--virtual-time-budget=20000",
          ...extra,
          `file://${html}`,
        ],
        { timeout: 120_000, maxBuffer: 256 * 2 ** 20, stdio: ["ignore", "pipe", "pipe"] },
      ).toString();
    const dom = run(["--dump-dom"]);
    expect(dom).toMatch(/<title>ready: anterior<\/title>/);
    const shot = join(dir, "shot.png");
    run([`--screenshot=${shot}`]);
    const img = decodePng(readFileSync(shot));
    expect(img.width).toBe(900);
    let painted = 0;
    let warm = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      const [r, g, b] = [img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]];
      if (r < 240 || g < 240 || b < 240) painted++;
      if (r > 150 && b < 100 && r > g) warm++;
    }
    expect(painted / (img.width * img.height)).toBeGreaterThan(0.1);
    expect(warm).toBeGreaterThan(1000);
  }, 180_000);

  it("opens on the map it is told to, with its legend and note", () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-"));
    const m = loadFsaverage5();
    const y = (h: "L" | "R", s: number) =>
      Float64Array.from({ length: 10242 }, (_, i) => (s * Math.max(0, m[h].coords[3 * i + 1])) / 100);
    const html = writeMapViewer(
      dir,
      "two maps",
      [
        { name: "first", L: y("L", 1), R: y("R", 1), threshold: 0.05, label: "Pearson r" },
        {
          name: "best layer, FDR",
          L: y("L", 0.5),
          R: y("R", 0.5),
          threshold: 0.02,
          label: "Pearson r",
          note: "123 of 20484 vertices FDR-significant",
        },
      ],
      { initial: 1 },
    );
    const profile = mkdtempSync(join(tmpdir(), "chromium-"));
    const dom = execFileSync(
      chromium!,
      [
        ...flags,
        `--user-data-dir=${profile}`,
        "--window-size=900,600",
        "--virtual-time-budget=20000",
        "--dump-dom",
        `file://${html}`,
      ],
      { timeout: 120_000, maxBuffer: 256 * 2 ** 20, stdio: ["ignore", "pipe", "pipe"] },
    ).toString();
    expect(dom).toMatch(/<title>ready: best layer, FDR<\/title>/);
    expect(dom).toMatch(/<div id="legend">colour: Pearson r, 0\.020 … 0\.\d+ \(below 0\.020 not shown\)<\/div>/);
    expect(dom).toMatch(/<div id="note">123 of 20484 vertices FDR-significant<\/div>/);
    expect(() => writeMapViewer(dir, "x", [{ name: "a", L: y("L", 1), R: y("R", 1) }], { initial: 2 })).toThrow(
      /initial map 2 is not one of the 1 maps/,
    );
  }, 180_000);

  it("leaves missing vertices unpainted (the sulcal grey shows) with a threshold of 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-"));
    const m = loadFsaverage5();
    // An FDR-thresholded map: NaN outside the "significant" anterior vertices, 0.3 inside.
    const y = (h: "L" | "R") =>
      Float64Array.from({ length: 10242 }, (_, i) => (m[h].coords[3 * i + 1] > 0 ? 0.3 : NaN));
    const html = writeMapViewer(dir, "masked", [
      { name: "masked", L: y("L"), R: y("R"), threshold: 0, label: "Pearson r" },
    ]);
    const profile = mkdtempSync(join(tmpdir(), "chromium-"));
    const shot = join(dir, "shot.png");
    execFileSync(
      chromium!,
      [
        ...flags,
        `--user-data-dir=${profile}`,
        "--window-size=900,600",
        "--virtual-time-budget=20000",
        `--screenshot=${shot}`,
        `file://${html}`,
      ],
      { timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    const img = decodePng(readFileSync(shot));
    let warm = 0;
    let grey = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      const [r, g, b] = [img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]];
      if (r > 150 && b < 100 && r > g) warm++;
      if (Math.abs(r - g) < 8 && Math.abs(g - b) < 8 && r > 40 && r < 220) grey++;
    }
    expect(warm).toBeGreaterThan(1000);
    expect(grey).toBeGreaterThan(20_000);
  }, 180_000);
});
