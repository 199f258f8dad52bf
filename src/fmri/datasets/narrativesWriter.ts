/**
 * Writes a dataset in the Narratives layout (real GIfTI/NIfTI/JSON/CSV files): used by the tests'
 * miniature datasets and by the simulator to produce datasets the loader reads like the real one.
 */
import { mkdirSync } from "node:fs";
import { writeTextAtomic } from "../../io/atomic.js";
import { join } from "node:path";
import type { Matrix } from "../../linalg/dense.js";
import { writeGiftiTimeSeries } from "../formats/gifti.js";
import { writeNifti } from "../formats/nifti.js";
import { NARRATIVES_TR, type EventMeta, type ScanExclude } from "./narratives.js";

export interface LayoutScan {
  subject: string;
  task: string;
  run?: string;
  /** Surface BOLD per hemisphere: TRs × vertices. */
  hemis?: { L: Matrix; R: Matrix };
  /** Volume BOLD in Fortran order with shape [x, y, z, T], and an optional brain mask [x, y, z]. */
  volume?: { shape: number[]; data: Float32Array; mask?: Uint8Array; zooms?: number[] };
}

export interface LayoutSpec {
  eventMeta: EventMeta;
  scanExclude?: ScanExclude;
  /** Gentle align.csv contents per story. */
  alignments: Record<string, string>;
  scans: LayoutScan[];
  pipeline?: string;
  tr?: number;
  /** Surface space in the file names (default fsaverage6, the dataset's). */
  surface?: "fsaverage5" | "fsaverage6";
}

/** Writes a dataset in the Narratives layout (derivatives, stimuli, metadata), e.g. for simulations. */
export function writeNarrativesLayout(root: string, spec: LayoutSpec): void {
  const tr = spec.tr ?? NARRATIVES_TR;
  mkdirSync(join(root, "code"), { recursive: true });
  writeTextAtomic(
    join(root, "dataset_description.json"),
    JSON.stringify({ Name: "Narratives-layout dataset", BIDSVersion: "1.6.0", DatasetType: "raw" }, null, 2),
  );
  writeTextAtomic(join(root, "code", "event_meta.json"), JSON.stringify(spec.eventMeta, null, 2));
  writeTextAtomic(join(root, "code", "scan_exclude.json"), JSON.stringify(spec.scanExclude ?? {}, null, 2));
  const subjects = [...new Set(spec.scans.map((s) => s.subject))].sort();
  writeTextAtomic(join(root, "participants.tsv"), ["participant_id", ...subjects].join("\n") + "\n");
  for (const [story, csv] of Object.entries(spec.alignments)) {
    mkdirSync(join(root, "stimuli", "gentle", story), { recursive: true });
    writeTextAtomic(join(root, "stimuli", "gentle", story, "align.csv"), csv);
  }
  for (const scan of spec.scans) {
    const func = join(root, "derivatives", spec.pipeline ?? "afni-nosmooth", scan.subject, "func");
    mkdirSync(func, { recursive: true });
    const key = `${scan.subject}_task-${scan.task}${scan.run ? `_run-${scan.run}` : ""}`;
    if (scan.hemis) {
      for (const h of ["L", "R"] as const) {
        writeGiftiTimeSeries(
          join(func, `${key}_space-${spec.surface ?? "fsaverage6"}_hemi-${h}_desc-clean.func.gii`),
          scan.hemis[h],
          { tr, hemi: h },
        );
      }
    }
    if (scan.volume) {
      const { shape, data, mask } = scan.volume;
      const zooms = scan.volume.zooms ?? [3, 3, 3];
      writeNifti(join(func, `${key}_space-MNI152NLin2009cAsym_res-native_desc-clean_bold.nii.gz`), {
        shape,
        data,
        zooms,
        tr,
      });
      if (mask)
        writeNifti(join(func, `${key}_space-MNI152NLin2009cAsym_res-native_desc-brain_mask.nii.gz`), {
          shape: shape.slice(0, 3),
          data: mask,
          datatype: "uint8",
          zooms,
        });
    }
  }
}
