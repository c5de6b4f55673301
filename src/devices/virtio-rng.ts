// virtio-rng (entropy device, spec 5.4): one queue; every buffer the driver posts is
// filled with random bytes from the host.
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";

export const VIRTIO_ID_ENTROPY = 4;

/** crypto.getRandomValues fills at most 65536 bytes per call. */
const MAX_RANDOM_CHUNK = 65536;

export type RandomSource = (into: Uint8Array) => void;

export const cryptoRandom: RandomSource = (into) => {
  for (let at = 0; at < into.length; at += MAX_RANDOM_CHUNK) {
    crypto.getRandomValues(into.subarray(at, Math.min(into.length, at + MAX_RANDOM_CHUNK)));
  }
};

export class VirtioRng implements VirtioDevice {
  readonly name = "virtio-rng";
  readonly deviceType = VIRTIO_ID_ENTROPY;
  readonly queueMaxSizes = [256];
  readonly features = 0n;
  readonly configSize = 0;
  private ctx: DeviceContext | undefined;

  constructor(private readonly random: RandomSource = cryptoRandom) {}

  readConfig(): number {
    return 0;
  }
  writeConfig(): void {}

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.fill();
  }

  notify(): void {
    this.fill();
  }

  reset(): void {
    this.ctx = undefined;
  }

  private fill(): void {
    const queue = this.ctx?.queue(0);
    if (!this.ctx || !queue) return;
    let used = false;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      const writer = chain.writer();
      const bytes = new Uint8Array(writer.remaining);
      this.random(bytes);
      writer.write(bytes);
      queue.pushUsed(chain, writer.written);
      used = true;
    }
    if (used) this.ctx.signalUsed(0);
  }
}
