// A minimal virtio device for model-level tests: every chain's readable bytes are copied
// into its writable part. It drains the way a real device should (notifications off,
// drain, re-enable, re-check) so the suppression paths run too.
import type { DeviceContext, VirtioDevice } from "../../src/virtio/virtio-device.js";
import type { DeviceInfo } from "../../src/virtio/device-info.js";

/** ID 0 is reserved in the spec ("invalid device"): no real driver binds to it. */
export function testDeviceInfo(name: string, configSize: number, queueCount: number): DeviceInfo {
  return {
    id: 0, name, kind: "other", featureNames: [[0, "ECHO_F_TEST"]], configSize,
    config: configSize >= 4 ? [{ name: "word", offset: 0, size: 4, format: "hex" }] : [],
    queueNames: Array.from({ length: queueCount }, (_, i) => `q${i}`),
  };
}

export class EchoDevice implements VirtioDevice {
  readonly info: DeviceInfo;
  readonly features: bigint;
  readonly config = new Uint8Array(8);
  ctx: DeviceContext | undefined;
  activations = 0;
  resets = 0;
  notifies: number[] = [];

  constructor(readonly queueMaxSizes: readonly number[] = [16], features = 0n) {
    this.features = features;
    this.info = testDeviceInfo("virtio-echo", 8, queueMaxSizes.length);
  }

  stats() {
    return { activations: this.activations, resets: this.resets, notifies: this.notifies.length };
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.config[offset + i]!;
    return v;
  }

  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) this.config[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.activations++;
  }

  notify(index: number): void {
    this.notifies.push(index);
    const ctx = this.ctx;
    const q = ctx?.queue(index);
    if (!ctx || !q) return;
    do {
      q.disableNotifications();
      for (let chain = q.pop(); chain; chain = q.pop()) {
        const data = chain.reader().read(chain.readableLength);
        const writer = chain.writer();
        writer.write(data);
        q.pushUsed(chain, writer.written);
      }
      ctx.signalUsed(index);
    } while (q.enableNotifications());
  }

  reset(): void {
    this.ctx = undefined;
    this.resets++;
  }
}
