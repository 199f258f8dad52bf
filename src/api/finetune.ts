/**
 * `brainscore/finetune`: Fine-tuning with the predictive-coding objective (the paper's Fig. 5): configuration, trainer,
 * training graph, automatic differentiation, optimiser, objective and corpus.
 */
export { finetune, type FinetuneOptions, type FinetuneResult, type FinetuneProgress } from "../finetune/trainer.js";
export { parseFinetuneConfig, readFinetuneConfig, CONDITIONS, type FinetuneConfig } from "../finetune/config.js";
export { TrainingSession, type Parameters, type StepResult } from "../finetune/trainingSession.js";
export { buildGpt2TrainingGraph, gpt2ParameterShapes } from "../finetune/gpt2TrainingGraph.js";
export { Tape } from "../finetune/autodiff.js";
export { adamWStep, adamWState, clipGradients, globalNorm, scheduledLr } from "../finetune/adamw.js";
export { lmTargets, targetPositions, auxTargets, type TokenBatch } from "../finetune/objective.js";
export { readDocuments, tokenizeDocuments, toBlocks, NARRATIVES_TRANSCRIPTS } from "../finetune/corpus.js";
export { loadGpt2Parameters, saveGpt2Checkpoint, loadHead, initHead, asGpt2Weights } from "../finetune/parameters.js";
