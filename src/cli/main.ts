/** The `brainscore` command: a thin layer over the library; every subcommand has --help. */
import { demoCommand, DEMO_HELP } from "./demo.js";
import { extractCommand, EXTRACT_HELP } from "./extract.js";
import { finetuneCommand, FINETUNE_HELP } from "./finetune.js";
import { fitCommand, FIT_HELP } from "./fit.js";
import { forecastCommand, FORECAST_HELP } from "./forecast.js";
import { predictCommand, PREDICT_HELP } from "./predict.js";
import { mergeCommand, MERGE_HELP, runCommand, RUN_HELP, simulateCommand, SIMULATE_HELP } from "./run.js";
import { UsageError } from "./usage.js";
import { packageVersion } from "../io/paths.js";

/** Every command, its one-line summary and its implementation: the help table is generated from this list. */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string; summary: string }> = {
  demo: {
    run: demoCommand,
    help: DEMO_HELP,
    summary: "embedded real fMRI (Alice ROIs) and a simulated Narratives run; writes results/demo",
  },
  extract: {
    run: extractCommand,
    help: EXTRACT_HELP,
    summary: "hidden states for every word of a story (GPT-2, Pythia, OPT, Llama/Mistral/Qwen2, tiny)",
  },
  fit: {
    run: fitCommand,
    help: FIT_HELP,
    summary: "cross-validated ridge brain scores on plain arrays (.npy / .safetensors)",
  },
  predict: {
    run: predictCommand,
    help: PREDICT_HELP,
    summary: 'apply a model saved by "fit --save-model" to another design, optionally scoring it',
  },
  forecast: {
    run: forecastCommand,
    help: FORECAST_HELP,
    summary: "forecast scores F(d), controls and the syntactic/semantic decomposition",
  },
  run: {
    run: runCommand,
    help: RUN_HELP,
    summary: "the whole pipeline from a configuration (checked first; resumable, shardable)",
  },
  merge: {
    run: mergeCommand,
    help: MERGE_HELP,
    summary: "combine sharded run results into group tables, maps and figures",
  },
  simulate: {
    run: simulateCommand,
    help: SIMULATE_HELP,
    summary: "write a Narratives-layout dataset with planted encoding models",
  },
  finetune: {
    run: finetuneCommand,
    help: FINETUNE_HELP,
    summary: "fine-tune GPT-2 to predict the next token and frozen states ahead (Fig. 5)",
  },
};

const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
const HELP = `Usage: brainscore <command> [options]   (brainscore --version prints the version)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join("\n")}

Run "brainscore <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(packageVersion());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`brainscore: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`brainscore ${name}: ${err.message}\n\n${err.help}`);
      return 2;
    }
    const e = err as Error & { code?: string };
    // parseArgs reports unknown or malformed options with these codes.
    if (e.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`brainscore ${name}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`brainscore ${name}: ${e.message}`);
    if (process.env.BRAINSCORE_DEBUG) console.error(e.stack);
    return 1;
  }
}

/**
 * A scheduler's stop (scancel, a job's time limit: SIGTERM; Ctrl-C: SIGINT) ends the command with one clear
 * line and the shell's exit code 128 + signal. Every file is written synchronously and atomically, so the
 * handler never runs inside a write: what is on disk is whole, and rerunning the same command resumes.
 */
export function exitOnTermination(name: string): void {
  for (const [signal, number] of [
    ["SIGTERM", 15],
    ["SIGINT", 2],
    ["SIGHUP", 1],
  ] as const) {
    process.on(signal, () => {
      console.error(
        `brainscore ${name}: stopped by ${signal}; every file written so far is complete, rerun the same command to resume`,
      );
      process.exit(128 + number);
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/src/cli/main.ts")) {
  exitOnTermination(process.argv[2] ?? "");
  process.exitCode = await main(process.argv.slice(2));
}
