/**
 * `brainscore/fmri`: fMRI data and the TR design: dataset readers and writers (Narratives, LeBel, BIDS runs, Alice),
 * file formats, word timings, FIR/HRF/Lanczos designs, preprocessing and regions.
 */
export { readWords } from "../stimuli/readers.js";
export type { WordEvents } from "../stimuli/words.js";
export { readNifti, writeNifti } from "../fmri/formats/nifti.js";
export {
  readGifti,
  readGiftiTimeSeries,
  writeGiftiTimeSeries,
  writeGiftiMesh,
  giftiMesh,
} from "../fmri/formats/gifti.js";
export { readAnnot } from "../fmri/formats/annot.js";
export { NarrativesDataset, NARRATIVES_TR } from "../fmri/datasets/narratives.js";
export { writeNarrativesLayout } from "../fmri/datasets/narrativesWriter.js";
export { LebelDataset, LEBEL_CODE_TR, type LebelStoryWords } from "../fmri/datasets/lebel.js";
export { writeLebelDataset, type LebelLayout } from "../fmri/datasets/lebelWriter.js";
export {
  findLebelVolume,
  volumeFromColumns,
  writeVolumeMap,
  type SubjectVolume,
} from "../fmri/datasets/lebelVolume.js";
export { readHdf5Matrix, writeHdf5Matrix } from "../fmri/formats/hdf5.js";
export { encodeTextGrid, parseTextGridTiers, type TextGridInterval, type TextGridTier } from "../stimuli/textGrid.js";
export { loadBidsRun } from "../fmri/datasets/bids.js";
export { loadAliceSubject, listAliceSubjects, ALICE_ROIS } from "../fmri/datasets/alice.js";
export { cleanRun } from "../fmri/preprocess.js";
export {
  wordDesign,
  wordDesigner,
  namedTrDesign,
  PAPER_FIR_DELAYS,
  type TrDesign,
  type WordDesignOptions,
} from "../fmri/design/wordDesign.js";
export { firDelays } from "../fmri/design/fir.js";
export { lanczosDownsample, lanczosKernel, type LanczosOptions } from "../fmri/design/lanczos.js";
export {
  HUTH_DELAYS,
  HUTH_TRIM,
  lanczosStoryDesign,
  trimRows,
  zscoreColumns,
  type LanczosStoryOptions,
  type StoryTrim,
} from "../fmri/design/storyDesign.js";
export { computeRegressor, eventResponses } from "../fmri/design/regressors.js";
export { gloverHrf, spmHrf } from "../fmri/design/hrf.js";
export {
  parcellationFromAnnot,
  parcellationFromGiftiLabels,
  parcellationFromLabelVolume,
  splitLargeRegions,
  regionAverages,
  summarizeByRegion,
} from "../fmri/regions.js";
