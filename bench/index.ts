/**
 * `npm run bench --
 * [ridge|ridge-peers|scan|lm|lm-large|lm-extract|fmri|forecast|forecast-group|lebel-forecast|finetune-brain|finetune-step]
 * [--S subjects] [--V N] [--n N] [--p N] [--modes gcv,loo,kfold] [--dtype float32]`
 * Prints one JSON line per measurement. Each ridge mode runs in its own process so that its peak RSS is
 * its own.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { benchFinetuneBrain } from "./finetuneBrain.js";
import { benchFinetuneStep } from "./finetuneStep.js";
import { benchFmri } from "./fmri.js";
import { benchForecast } from "./forecast.js";
import { benchLebelForecast } from "./lebelForecast.js";
import { benchForecastGroup } from "./forecastGroup.js";
import { benchLm } from "./lm.js";
import { benchLmLarge } from "./lmLarge.js";
import { benchLmExtract } from "./lmExtract.js";
import { benchRidge } from "./ridge.js";
import { benchRidgePeers } from "./ridgePeers.js";
import { benchScan } from "./scan.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    V: { type: "string" },
    S: { type: "string" },
    n: { type: "string" },
    p: { type: "string" },
    modes: { type: "string" },
    dtype: { type: "string" },
    child: { type: "boolean" },
    shapes: { type: "string" },
    peers: { type: "string" },
    runtime: { type: "string" },
  },
});
const which = positionals.length > 0 ? positionals : ["ridge", "lm", "fmri", "forecast", "forecast-group"];
for (const name of which) {
  if (name === "forecast") {
    for (const r of await benchForecast()) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "lebel-forecast") {
    const selection = values.modes === "gcv" ? "gcv" : "loo";
    for (const r of await benchLebelForecast({
      voxels: values.V ? Number(values.V) : undefined,
      stories: values.S ? Number(values.S) : undefined,
      alphaSelection: selection,
    }))
      console.log(JSON.stringify(r));
    continue;
  }
  if (name === "forecast-group") {
    for (const r of await benchForecastGroup({
      subjects: values.S ? Number(values.S) : undefined,
      vertices: values.V ? Number(values.V) : undefined,
    }))
      console.log(JSON.stringify(r));
    continue;
  }
  if (name === "ridge-peers") {
    const list = (v?: string) => v?.split(",");
    const Vs = list(values.V)?.map(Number);
    for (const r of await benchRidgePeers({
      shapes: list(values.shapes),
      V: Vs,
      peers: list(values.peers),
      modes: list(values.modes),
      runtime: values.runtime,
    }))
      console.log(JSON.stringify(r));
    continue;
  }
  if (name === "scan") {
    for (const r of await benchScan()) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "lm-extract") {
    for (const r of await benchLmExtract({ shapes: values.shapes?.split(",") })) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "finetune-brain") {
    for (const r of await benchFinetuneBrain({ subjects: values.S ? Number(values.S) : undefined }))
      console.log(JSON.stringify(r));
    continue;
  }
  if (name === "finetune-step") {
    for (const r of await benchFinetuneStep()) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "lm-large") {
    for (const r of await benchLmLarge()) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "fmri") {
    for (const r of await benchFmri()) console.log(JSON.stringify(r));
    continue;
  }
  if (name === "lm") {
    for (const r of await benchLm()) console.log(JSON.stringify(r));
    continue;
  }
  if (name !== "ridge") {
    console.error(
      `unknown benchmark "${name}" (available: ridge, ridge-peers, scan, lm, lm-large, lm-extract, fmri, forecast, forecast-group, lebel-forecast)`,
    );
    process.exitCode = 2;
    continue;
  }
  const modes = (values.modes ?? "gcv,loo,kfold").split(",");
  if (values.child) {
    const rows = await benchRidge({
      V: values.V ? Number(values.V) : undefined,
      n: values.n ? Number(values.n) : undefined,
      p: values.p ? Number(values.p) : undefined,
      modes: modes as never,
      dtype: (values.dtype as never) ?? undefined,
    });
    for (const r of rows) console.log(JSON.stringify(r));
    continue;
  }
  for (const mode of modes) {
    const args = process.argv.slice(2).filter((a, i, all) => a !== "--modes" && all[i - 1] !== "--modes");
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), ...args, "--modes", mode, "--child"],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    if (child.status !== 0) process.exitCode = child.status ?? 1;
  }
}
