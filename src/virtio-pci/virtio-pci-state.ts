// A virtio-pci function's part of a machine snapshot: its PCI configuration, its ISR, its
// MSI-X table, PBA and vector registers (when it has MSI-X: states saved before MSI-X
// existed have none) and the device model behind it.
import type { PciFunctionState } from "../pci/pci-function.js";
import { deviceModelStateData, readDeviceModelState, type CheckedDeviceModelState, type DeviceModelState } from "../virtio/device-model-state.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import { msixPbaBytes, msixTableBytes, type MsixState } from "../pci/msix.js";
import type { MsixVectors } from "./msix-interrupt.js";

/** The MSI-X part: the enable and mask bits are in the configuration bytes. */
export interface VirtioPciMsixState extends MsixState {
  vectors: MsixVectors;
}


/** One virtio-pci function's part of a snapshot. */
export interface VirtioPciState {
  pci: PciFunctionState;
  isr: number;
  msix?: VirtioPciMsixState;
  model: DeviceModelState;
}
export type CheckedVirtioPciState = Omit<VirtioPciState, "model"> & { model: CheckedDeviceModelState };

/** Checks a saved virtio-pci state field by field. */
export function readVirtioPciState(r: StateReader, queueCount: number): CheckedVirtioPciState {
  return {
    pci: {
      config: r.field("pci").field("config").bytes(256),
      lineWrittenByGuest: r.field("pci").field("lineWrittenByGuest").boolean(),
    },
    isr: r.field("isr").integer(0, 3),
    ...(r.has("msix") ? { msix: readMsix(r.field("msix"), queueCount) } : {}),
    model: readDeviceModelState(r.field("model"), queueCount),
  };
}

/** The table has a vector per queue and one for configuration changes (virtio-pci-function.ts). */
function readMsix(r: StateReader, queueCount: number): VirtioPciMsixState {
  r.onlyFields(["table", "pba", "vectors"]);
  const v = r.field("vectors");
  v.onlyFields(["config", "queues"]);
  const exact = (field: string, length: number): Uint8Array => {
    const bytes = r.field(field).bytes(length);
    if (bytes.length !== length) r.field(field).fail(`${length} bytes`);
    return bytes;
  };
  return {
    table: exact("table", msixTableBytes(queueCount + 1)),
    pba: exact("pba", msixPbaBytes(queueCount + 1)),
    vectors: {
      config: v.field("config").integer(0, 0xffff),
      queues: v.field("queues").items(queueCount).map((q) => q.integer(0, 0xffff)),
    },
  };
}

/** The state as plain data, for the state file. */
export function virtioPciStateData(state: VirtioPciState): PlainData {
  const { msix } = state;
  return {
    pci: { ...state.pci },
    isr: state.isr,
    ...(msix ? { msix: { table: msix.table, pba: msix.pba, vectors: { config: msix.vectors.config, queues: [...msix.vectors.queues] } } } : {}),
    model: deviceModelStateData(state.model),
  };
}
