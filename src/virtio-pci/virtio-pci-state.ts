// A virtio-pci function's part of a machine snapshot: its PCI configuration, its ISR and
// the device model behind it.
import type { PciFunctionState } from "../pci/pci-function.js";
import { deviceModelStateData, readDeviceModelState, type CheckedDeviceModelState, type DeviceModelState } from "../virtio/device-model-state.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";

/** One virtio-pci function's part of a snapshot. */
export interface VirtioPciState {
  pci: PciFunctionState;
  isr: number;
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
    model: readDeviceModelState(r.field("model"), queueCount),
  };
}


/** The state as plain data, for the state file. */
export function virtioPciStateData(state: VirtioPciState): PlainData {
  return { pci: { ...state.pci }, isr: state.isr, model: deviceModelStateData(state.model) };
}
