/** `brainscore/io`: Arrays in and out: .npy, safetensors, matrices read whole or by column blocks. */
export { readNpy, writeNpy, parseNpy } from "../io/npy.js";
export { readSafetensors, writeSafetensors, parseSafetensors } from "../io/safetensors.js";
export { loadMatrix } from "../io/arrays.js";
export { locateMatrix, readColumns, type MatrixLocation } from "../io/arrayBlocks.js";
export type { DType, Matrix } from "../linalg/dense.js";
