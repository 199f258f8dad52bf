/**
 * Fine-tuning parity with ../shared/reference/finetune (PyTorch autograd in float64 on the tiny GPT-2):
 * loss terms, the gradient of every parameter and the head, the clip coefficient and the parameters
 * after one clipped AdamW step, for the three cases (high-level long-range, embedding next-token, LM only).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGpt2Config } from "../src/lm/config.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { adamWState, adamWStep, clipGradients } from "../src/finetune/adamw.js";
import { gpt2ParameterShapes } from "../src/finetune/gpt2TrainingGraph.js";
import { auxTargets, targetPositions } from "../src/finetune/objective.js";
import { loadGpt2Parameters } from "../src/finetune/parameters.js";
import { TrainingSession } from "../src/finetune/trainingSession.js";

const REF = join(__dirname, "../../shared/reference/finetune");
const MODEL = join(__dirname, "../../shared/reference/gpt2");
const have = existsSync(join(REF, "reference.json"));

interface Case {
  file: string;
  k: number;
  d: number;
  lam: number;
  head: boolean;
  loss: number;
  ce: number;
  mse: number;
  grad_global_norm: number;
  clip_coef: number;
}

/**
 * The reference summarises every row of a vocab × E matrix by its norm and its projection on a probe
 * vector; lists the rows whose summaries differ by more than 1e-4 of the largest.
 */
function rowSummaryMismatches(
  m: ArrayLike<number>,
  E: number,
  probe: ArrayLike<number>,
  norms: ArrayLike<number>,
  proj: ArrayLike<number>,
  label: string,
): string[] {
  const normScale = maxAbs(norms);
  const projScale = maxAbs(proj);
  const bad: string[] = [];
  for (let v = 0; v < norms.length; v++) {
    let n2 = 0;
    let pj = 0;
    for (let e = 0; e < E; e++) {
      n2 += m[v * E + e] ** 2;
      pj += m[v * E + e] * probe[e];
    }
    if (Math.abs(Math.sqrt(n2) - norms[v]) > 1e-4 * normScale || Math.abs(pj - proj[v]) > 1e-4 * projScale)
      bad.push(`${label} ${v}`);
  }
  return bad;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe.skipIf(!have)("fine-tuning gradients and AdamW vs PyTorch", () => {
  const ref = have ? JSON.parse(readFileSync(join(REF, "reference.json"), "utf8")) : null;
  for (const name of ["A", "B", "LM"]) {
    it(`case ${name}`, async () => {
      const c = ref.cases[name] as Case;
      const t = readSafetensors(join(REF, c.file)).tensors;
      const arr = (n: string) => t.get(n)!.data as Float32Array;
      const config = readGpt2Config(MODEL);
      const E = config.nEmbd;
      const ids: Int32Array[] = (ref.input_ids as number[][]).map((r) => Int32Array.from(r));
      const B = ids.length;
      const T = ids[0].length;
      const params = loadGpt2Parameters(MODEL, config);
      const initial = new Map([...params].map(([k, v]) => [k, Float32Array.from(v)]));
      let aux: { target: Float32Array; weights: Float32Array } | undefined;
      if (c.head) {
        params.set("head.weight", Float32Array.from(arr("head.weight")));
        params.set("head.bias", Float32Array.from(arr("head.bias")));
        // The frozen teacher: the original weights' layer-k states (hidden_0 = token + position embeddings).
        const teacher = await Gpt2Runtime.create(config, loadGpt2Weights(MODEL, config), { layers: [c.k] });
        const states = (await teacher.forward(ids)).hidden.get(c.k)!;
        await teacher.release();
        const refTeacher = arr("teacher");
        for (let i = 0; i < states.length; i++) expect(Math.abs(states[i] - refTeacher[i])).toBeLessThan(1e-5);
        aux = auxTargets(states, targetPositions({ ids }, { distance: c.d, unit: "tokens" }), B, T, E, "mse");
      }
      const session = await TrainingSession.create(config, { batch: B, tokens: T, auxWeight: c.lam });
      const out = await session.run(params, { batch: { ids }, aux });
      await session.release();
      expect(Math.abs(out.loss - c.loss) / c.loss).toBeLessThan(1e-5);
      expect(Math.abs(out.ce - c.ce) / c.ce).toBeLessThan(1e-5);
      if (c.head) expect(Math.abs(out.aux - c.mse) / c.mse).toBeLessThan(1e-5);
      else expect(out.aux).toBe(0);

      const shapes = new Map(gpt2ParameterShapes(config, c.head));
      expect([...out.grads.keys()].sort()).toEqual([...shapes.keys()].sort());
      const worst: string[] = [];
      for (const [pname] of shapes) {
        if (pname === "wte.weight") continue;
        const g = out.grads.get(pname)!;
        const r = arr(`grad.${pname}`);
        const scale = maxAbs(r);
        let diff2 = 0;
        let ref2 = 0;
        for (let i = 0; i < r.length; i++) {
          diff2 += (g[i] - r[i]) ** 2;
          ref2 += r[i] ** 2;
          if (Math.abs(g[i] - r[i]) > 1e-4 * scale + 1e-12) worst.push(`${pname}[${i}] ${g[i]} vs ${r[i]}`);
        }
        if (Math.sqrt(diff2) > 1e-4 * Math.sqrt(ref2) + 1e-12)
          worst.push(`${pname}: relative Frobenius ${Math.sqrt(diff2 / ref2)}`);
      }
      expect(worst.slice(0, 5)).toEqual([]);
      // wte: stored rows, every row's norm and a signed per-row checksum.
      const gw = out.grads.get("wte.weight")!;
      const rows = t.get("wte_rows")!.data as BigInt64Array;
      const refRows = arr("grad.wte.weight.rows");
      const rowScale = maxAbs(refRows);
      rows.forEach((row, j) => {
        for (let e = 0; e < E; e++)
          expect(Math.abs(gw[Number(row) * E + e] - refRows[j * E + e])).toBeLessThanOrEqual(1e-4 * rowScale);
      });
      const probe = t.get("wte_probe")!.data as Float64Array;
      worst.push(
        ...rowSummaryMismatches(gw, E, probe, arr("grad.wte.weight.row_norm"), arr("grad.wte.weight.proj"), "wte row"),
      );
      expect(worst.slice(0, 5)).toEqual([]);

      // Clip + one AdamW step.
      const { norm, coef } = clipGradients(out.grads, ref.optimizer.clip_max_norm);
      expect(Math.abs(norm - c.grad_global_norm) / c.grad_global_norm).toBeLessThan(1e-5);
      expect(Math.abs(coef - c.clip_coef) / c.clip_coef).toBeLessThan(1e-5);
      const opt = ref.optimizer;
      adamWStep(
        params,
        out.grads,
        adamWState(params),
        shapes,
        { lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay: opt.weight_decay },
        opt.lr,
      );
      for (const [pname] of shapes) {
        if (pname === "wte.weight") continue;
        const p = params.get(pname)!;
        const r = arr(`adamw.${pname}`);
        const keyBias = /attn\.c_attn\.bias$/.test(pname);
        for (let i = 0; i < r.length; i++) {
          // The key-bias columns have an exactly zero true gradient: float32 noise becomes a ±lr step.
          const tol = keyBias && i >= E && i < 2 * E ? 1e-3 + 1e-7 : 1e-4;
          if (Math.abs(p[i] - r[i]) > tol) worst.push(`adamw ${pname}[${i}] ${p[i]} vs ${r[i]}`);
        }
      }
      const pw = params.get("wte.weight")!;
      const w0 = initial.get("wte.weight")!;
      const stepRows = arr("adamw.wte.weight.rows");
      rows.forEach((row, j) => {
        for (let e = 0; e < E; e++)
          if (Math.abs(pw[Number(row) * E + e] - stepRows[j * E + e]) > 1e-4) worst.push(`adamw wte row ${row}`);
      });
      const delta = pw.map((w, i) => w - w0[i]);
      worst.push(
        ...rowSummaryMismatches(
          delta,
          E,
          probe,
          arr("adamw.wte.weight.delta_row_norm"),
          arr("adamw.wte.weight.delta_proj"),
          "adamw wte delta row",
        ),
      );
      expect(worst.slice(0, 5)).toEqual([]);
    }, 60_000);
  }
});
