// One queue's registers as the driver writes them through the transport, before the
// device model turns them into a live ring at DRIVER_OK.
import type { GuestMemory } from "../memory/guest-memory.js";
import { packedRingLayoutError } from "./packed-ring-layout.js";
import { splitRingLayoutError } from "./split-ring-layout.js";

/** One queue's registers as the driver sets them before DRIVER_OK. */
export class QueueConfig {
  size: number;
  enabled = false;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;

  constructor(readonly index: number, readonly maxSize: number) {
    this.size = maxSize;
  }

  /** Power-on values: size back to the maximum, disabled, addresses 0. */
  clear(): void {
    this.size = this.maxSize;
    this.enabled = false;
    this.descLo = this.descHi = this.driverLo = this.driverHi = this.deviceLo = this.deviceHi = 0;
  }

  /** The registers as a split ring's areas (virtio 1.2, 2.7). */
  get layout() {
    return {
      size: this.size,
      descAddr: this.descHi * 0x100000000 + this.descLo,
      availAddr: this.driverHi * 0x100000000 + this.driverLo,
      usedAddr: this.deviceHi * 0x100000000 + this.deviceLo,
    };
  }

  /** The same registers as a packed ring's areas (2.8): queue_driver and queue_device hold the event suppression structures. */
  get packedLayout() {
    const { size, descAddr, availAddr, usedAddr } = this.layout;
    return { size, descAddr, driverEventAddr: availAddr, deviceEventAddr: usedAddr };
  }

  /** Why the registers do not describe a usable ring of that layout (sizes, alignment, RAM), or undefined. */
  ringLayoutError(memory: GuestMemory, packed: boolean): string | undefined {
    return packed ? packedRingLayoutError(memory, this.packedLayout) : splitRingLayoutError(memory, this.layout);
  }
}
