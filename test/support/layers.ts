// A small layer config the training tests share: a 10–100 µS window read at 0.2 V, ideal wires, 16 × 16 tiles.
import type { CrossbarLayerConfig } from "../../lib/tile/layer";

export const IDEAL_LAYER: CrossbarLayerConfig = Object.freeze({
  gOffSiemens: 1e-5,
  gOnSiemens: 1e-4,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 16,
  tileCols: 16,
});
