/**
 * `brainscore predict`: apply a model written by `brainscore fit --save-model` to another design (another
 * story, another run), and score it when the measured responses are given.
 */
import { parseArgs } from "node:util";
import { RidgeCV } from "../ridge/estimator.js";
import { SCORING_NAMES, type ScoringName } from "../ridge/scoring.js";
import { loadMatrix } from "../io/arrays.js";
import { writeNpy } from "../io/npy.js";
import { writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { UsageError } from "./usage.js";

export const PREDICT_HELP = `Usage: brainscore predict --model model.safetensors --x X.npy --out predictions.npy [--y Y.npy]

Predicts responses from a design with a model saved by "brainscore fit --save-model".

  --model FILE         the saved model (coef [p,V], intercept)
  --x FILE             design, samples × the model's p features (.npy or file.safetensors:tensor)
  --y FILE             measured responses, samples × V: also score each target
  --scoring NAME       pearson | r2 (default pearson)
  --out FILE           predictions [n, V] as .npy, or .safetensors (predictions, and score [V] with --y)`;

export async function predictCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: "string" },
      x: { type: "string" },
      y: { type: "string" },
      scoring: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(PREDICT_HELP);
    return;
  }
  if (!values.model || !values.x || !values.out)
    throw new UsageError("predict needs --model, --x and --out", PREDICT_HELP);
  const scoring = (values.scoring ?? "pearson") as ScoringName;
  if (!SCORING_NAMES.includes(scoring))
    throw new UsageError(`--scoring must be one of ${SCORING_NAMES.join(", ")}`, PREDICT_HELP);
  const asNpy = values.out.endsWith(".npy");
  if (!asNpy && !values.out.endsWith(".safetensors"))
    throw new UsageError(`--out must end in .npy or .safetensors, got ${values.out}`, PREDICT_HELP);
  if (asNpy && values.y)
    throw new UsageError(
      "--y scores the predictions: write them to a .safetensors --out to keep the scores",
      PREDICT_HELP,
    );
  const model = RidgeCV.load(values.model, { source: { x: values.x, y: values.y } });
  const x = loadMatrix(values.x);
  if (x.cols !== model.coef!.rows)
    throw new Error(`${values.x}: ${x.cols} columns, but ${values.model} was fitted on ${model.coef!.rows} features`);
  const pred = await model.predict(x);
  if (asNpy) {
    writeNpy(values.out, { shape: [pred.rows, pred.cols], data: pred.data });
    console.log(`predicted ${pred.rows} samples × ${pred.cols} targets; wrote ${values.out}`);
    return;
  }
  const tensors: Record<string, TensorInput> = { predictions: { shape: [pred.rows, pred.cols], data: pred.data } };
  let line = `predicted ${pred.rows} samples × ${pred.cols} targets`;
  if (values.y) {
    const y = loadMatrix(values.y);
    if (y.rows !== pred.rows || y.cols !== pred.cols)
      throw new Error(`${values.y}: ${y.rows} × ${y.cols}, but the predictions are ${pred.rows} × ${pred.cols}`);
    const score = await model.score(x, y, scoring);
    tensors.score = { shape: [score.length], data: score };
    const finite = score.filter(Number.isFinite);
    line += `; ${scoring} mean ${(finite.reduce((a, b) => a + b, 0) / Math.max(finite.length, 1)).toFixed(4)} over ${finite.length} targets`;
  }
  writeSafetensors(values.out, tensors, {
    format: "brainscore.predictions/1",
    model: values.model,
    x: values.x,
    scoring,
  });
  console.log(`${line}; wrote ${values.out}`);
}
