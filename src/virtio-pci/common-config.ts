// The common configuration structure (virtio 1.2, 4.1.4.3) as registers over the device
// model's transport-independent parts: feature negotiation, the queue registers, status.
import type { VirtioDeviceModel } from "../virtio/device-model.js";
import { RegisterFile, type Register } from "./register-file.js";
import { VIRTIO_MSI_NO_VECTOR, type MsixInterrupt } from "./msix-interrupt.js";

/**
 * `vectors` backs msix_config and queue_msix_vector when the function has MSI-X; without
 * it both read VIRTIO_MSI_NO_VECTOR and ignore writes.
 */
export function commonConfigRegisters(model: VirtioDeviceModel, vectors?: MsixInterrupt): RegisterFile {
  const { features, queues } = model;
  const configVector: Pick<Register, "read" | "write" | "latch"> = vectors
    ? { read: () => vectors.configVector, write: (v) => vectors.writeConfigVector(v), latch: () => vectors.written(-1) }
    : { read: () => VIRTIO_MSI_NO_VECTOR, write: () => {} };
  const queueVector: Pick<Register, "read" | "write" | "latch"> = vectors
    ? { read: () => vectors.queueVector(queues.select), write: (v) => vectors.writeQueueVector(queues.select, v), latch: () => vectors.written(queues.select) }
    : { read: () => VIRTIO_MSI_NO_VECTOR, write: () => {} };
  const regs: Register[] = [
    { offset: 0x00, width: 4, read: () => features.deviceSelect, write: (v) => (features.deviceSelect = v) },
    { offset: 0x04, width: 4, read: () => features.deviceWindow },
    { offset: 0x08, width: 4, read: () => features.driverSelect, write: (v) => (features.driverSelect = v) },
    { offset: 0x0c, width: 4, read: () => features.driverWindow, write: (v) => model.writeDriverFeatures(v) },
    { offset: 0x10, width: 2, ...configVector },
    { offset: 0x12, width: 2, read: () => queues.count },
    { offset: 0x14, width: 1, read: () => model.status, write: (v) => (model.status = v) },
    { offset: 0x15, width: 1, read: () => model.configGeneration },
    { offset: 0x16, width: 2, read: () => queues.select, write: (v) => (queues.select = v) },
    { offset: 0x18, width: 2, read: () => queues.size, write: (v) => (queues.size = v) },
    { offset: 0x1a, width: 2, ...queueVector },
    { offset: 0x1c, width: 2, read: () => queues.enable, write: (v) => (queues.enable = v) },
    { offset: 0x1e, width: 2, read: () => queues.notifyOff },
    { offset: 0x20, width: 4, read: () => queues.descLo, write: (v) => (queues.descLo = v) },
    { offset: 0x24, width: 4, read: () => queues.descHi, write: (v) => (queues.descHi = v) },
    { offset: 0x28, width: 4, read: () => queues.driverLo, write: (v) => (queues.driverLo = v) },
    { offset: 0x2c, width: 4, read: () => queues.driverHi, write: (v) => (queues.driverHi = v) },
    { offset: 0x30, width: 4, read: () => queues.deviceLo, write: (v) => (queues.deviceLo = v) },
    { offset: 0x34, width: 4, read: () => queues.deviceHi, write: (v) => (queues.deviceHi = v) },
    // queue_notify_data (0x38) and queue_reset (0x3a) read 0: NOTIFICATION_DATA and RING_RESET are not offered.
  ];
  return new RegisterFile(regs);
}
