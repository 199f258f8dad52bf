/** `brainscore/report`: Figures: line charts, brain maps, volume mosaics, SVG to PNG. */
export { lineChartSvg, type LineChartSpec } from "../report/figures/lineChart.js";
export { brainMapSvg, type BrainMapSpec } from "../report/figures/brainMap.js";
export { svgToPng, writeSvgAsPng } from "../report/figures/png.js";
export { volumeMosaicSvg, type VolumeMosaicSpec } from "../report/figures/volumeMosaic.js";
