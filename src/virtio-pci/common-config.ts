// The common configuration structure (virtio 1.2, 4.1.4.3) as registers over the
// transport-independent device model.
import type { VirtioDeviceModel } from "../virtio/device-model.js";
import { RegisterFile, type Register } from "./register-file.js";

/** MSI-X is not offered (v86 cannot deliver MSI): every vector reads VIRTIO_MSI_NO_VECTOR. */
const NO_VECTOR = 0xffff;

export function commonConfigRegisters(model: VirtioDeviceModel): RegisterFile {
  const regs: Register[] = [
    { offset: 0x00, width: 4, read: () => model.deviceFeatureSelect, write: (v) => (model.deviceFeatureSelect = v) },
    { offset: 0x04, width: 4, read: () => model.deviceFeature },
    { offset: 0x08, width: 4, read: () => model.driverFeatureSelect, write: (v) => (model.driverFeatureSelect = v) },
    { offset: 0x0c, width: 4, read: () => model.driverFeature, write: (v) => (model.driverFeature = v) },
    { offset: 0x10, width: 2, read: () => NO_VECTOR, write: () => {} },
    { offset: 0x12, width: 2, read: () => model.numQueues },
    { offset: 0x14, width: 1, read: () => model.status, write: (v) => (model.status = v) },
    { offset: 0x15, width: 1, read: () => model.configGeneration },
    { offset: 0x16, width: 2, read: () => model.queueSelect, write: (v) => (model.queueSelect = v) },
    { offset: 0x18, width: 2, read: () => model.queueSize, write: (v) => (model.queueSize = v) },
    { offset: 0x1a, width: 2, read: () => NO_VECTOR, write: () => {} },
    { offset: 0x1c, width: 2, read: () => model.queueEnable, write: (v) => (model.queueEnable = v) },
    { offset: 0x1e, width: 2, read: () => model.queueNotifyOff },
    { offset: 0x20, width: 4, read: () => model.queueDescLo, write: (v) => (model.queueDescLo = v) },
    { offset: 0x24, width: 4, read: () => model.queueDescHi, write: (v) => (model.queueDescHi = v) },
    { offset: 0x28, width: 4, read: () => model.queueDriverLo, write: (v) => (model.queueDriverLo = v) },
    { offset: 0x2c, width: 4, read: () => model.queueDriverHi, write: (v) => (model.queueDriverHi = v) },
    { offset: 0x30, width: 4, read: () => model.queueDeviceLo, write: (v) => (model.queueDeviceLo = v) },
    { offset: 0x34, width: 4, read: () => model.queueDeviceHi, write: (v) => (model.queueDeviceHi = v) },
    // queue_notify_data (0x38) and queue_reset (0x3a) read 0: NOTIFICATION_DATA and RING_RESET are not offered.
  ];
  return new RegisterFile(regs);
}
