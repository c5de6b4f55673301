// virtio-rng (entropy device, spec 5.4): one queue; every buffer the driver posts is
// filled with random bytes from the host.
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import type { DeviceInfo } from "../virtio/device-info.js";

export const VIRTIO_ID_ENTROPY = 4;

/** virtio-rng has no feature bits and no config space (spec 5.4). */
export const RNG_INFO: DeviceInfo = {
  id: VIRTIO_ID_ENTROPY,
  name: "virtio-rng",
  kind: "entropy",
  featureNames: [],
  configSize: 0,
  config: [],
  queueNames: ["requestq"],
};

/** Live figures of the rng. */
export type RngStats = {
  /** Buffers filled, and random bytes given. */
  buffers: number;
  bytes: number;
  /** Buffers the guest offered more than RNG_CHAIN_BYTES, filled only that far. */
  capped: number;
};

/** crypto.getRandomValues fills at most 65536 bytes per call. */
const MAX_RANDOM_CHUNK = 65536;
/**
 * The most bytes one buffer gets, however large the driver made it (the spec lets the
 * device fill less than offered; used.len says how much). Linux's hwrng asks for far
 * less; without this bound a guest could make the host allocate and fill gigabytes
 * inside one doorbell write.
 */
export const RNG_CHAIN_BYTES = 65536;

export type RandomSource = (into: Uint8Array) => void;

export const cryptoRandom: RandomSource = (into) => {
  for (let at = 0; at < into.length; at += MAX_RANDOM_CHUNK) {
    crypto.getRandomValues(into.subarray(at, Math.min(into.length, at + MAX_RANDOM_CHUNK)));
  }
};

export class VirtioRng implements VirtioDevice {
  readonly info = RNG_INFO;
  readonly queueMaxSizes: readonly number[];
  readonly features = 0n;
  private ctx: DeviceContext | undefined;
  private readonly counts: RngStats = { buffers: 0, bytes: 0, capped: 0 };
  /** Random bytes are made here and copied into the guest: no allocation per buffer. */
  private readonly scratch = new Uint8Array(RNG_CHAIN_BYTES);

  /** `queueSize`: the request queue's maximum size (a power of two, default 256). */
  constructor(private readonly random: RandomSource = cryptoRandom, queueSize = 256) {
    this.queueMaxSizes = [queueSize];
  }

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

  stats(): RngStats {
    return { ...this.counts };
  }

  private fill(): void {
    const queue = this.ctx?.queue(0);
    if (!this.ctx || !queue) return;
    let used = false;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      const writer = chain.writer();
      if (writer.remaining > RNG_CHAIN_BYTES) this.counts.capped++;
      const bytes = this.scratch.subarray(0, Math.min(writer.remaining, RNG_CHAIN_BYTES));
      this.random(bytes);
      writer.write(bytes);
      queue.pushUsed(chain, writer.written);
      this.counts.buffers++;
      this.counts.bytes += writer.written;
      used = true;
    }
    if (used) this.ctx.signalUsed(0);
  }
}
