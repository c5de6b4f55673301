// A virtio-mmio device's part of a machine snapshot: its InterruptStatus and the device
// model behind it. Where the window and the line are is the machine description's, which
// the snapshot keeps beside it (and a restore compares).
import { deviceModelStateData, readDeviceModelState, type CheckedDeviceModelState, type DeviceModelState } from "../virtio/device-model-state.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";

export interface VirtioMmioState {
  interruptStatus: number;
  model: DeviceModelState;
}
export type CheckedVirtioMmioState = Omit<VirtioMmioState, "model"> & { model: CheckedDeviceModelState };

/** Checks a saved virtio-mmio state field by field. */
export function readVirtioMmioState(r: StateReader, queueCount: number): CheckedVirtioMmioState {
  r.onlyFields(["interruptStatus", "model"]);
  return {
    interruptStatus: r.field("interruptStatus").integer(0, 3),
    model: readDeviceModelState(r.field("model"), queueCount),
  };
}

/** The state as plain data, for the state file. */
export function virtioMmioStateData(state: VirtioMmioState): PlainData {
  return { interruptStatus: state.interruptStatus, model: deviceModelStateData(state.model) };
}
