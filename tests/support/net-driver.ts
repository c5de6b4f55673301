// The driver side of virtio-net for device tests, behaving like Linux's virtio_net where it
// matters for kicks and interrupts: it kicks only when the ring asks for it
// (virtqueue_kick_prepare: avail_event with EVENT_IDX, else VRING_USED_F_NO_NOTIFY), moves
// used_event like virtqueue_enable_cb (rx) and virtqueue_enable_cb_delayed (tx), refills
// rx when half the ring is free, and reassembles mergeable frames from num_buffers.
import { concatBytes } from "../../src/util/concat-bytes.js";
import { RecordingInterrupt } from "./test-interrupt.js";
import type { GuestMemory } from "../../src/memory/guest-memory.js";
import { decodeNetHeader, encodeNetHeader, NET_HDR_BYTES, type NetHeader } from "../../src/devices/net-header.js";
import { VIRTIO_NET_F_MRG_RXBUF, VirtioNet, type NotificationPolicy } from "../../src/devices/virtio-net.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { FakeNetBackend } from "./fake-net-backend.js";
import { bringUp, MockDriver, readDeviceFeatures, type MockQueue, type Part } from "./mock-driver.js";

/** Guest memory whose 16-bit writes can be watched (the device writes ring flags and avail_event that way). */
export class HookedMemory implements GuestMemory {
  beforeWrite16: ((addr: number, value: number) => void) | undefined;
  constructor(private readonly inner: GuestMemory) {}
  get size(): number { return this.inner.size; }
  check(addr: number, length: number): void { this.inner.check(addr, length); }
  read8(addr: number): number { return this.inner.read8(addr); }
  read16(addr: number): number { return this.inner.read16(addr); }
  read32(addr: number): number { return this.inner.read32(addr); }
  read64(addr: number): number { return this.inner.read64(addr); }
  write16(addr: number, value: number): void {
    this.beforeWrite16?.(addr, value);
    this.inner.write16(addr, value);
  }
  write32(addr: number, value: number): void { this.inner.write32(addr, value); }
  readBytes(addr: number, length: number): Uint8Array { return this.inner.readBytes(addr, length); }
  view(addr: number, length: number): Uint8Array { return this.inner.view(addr, length); }
  writeBytes(addr: number, data: Uint8Array): void { this.inner.writeBytes(addr, data); }
}

export interface RxFrame {
  header: NetHeader;
  bytes: Uint8Array;
  /** Used lengths of the buffers it came in. */
  lengths: number[];
}

export const NO_HEADER: NetHeader = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 0 };

export class NetDriver {
  /** Set by the interrupt callback; a test's "interrupt handler" clears it. */
  interrupted = false;
  private rxFree: number;
  private txFree: number;
  private readonly txDescs = new Map<number, number>();
  private readonly mergeable: boolean;

  constructor(readonly model: VirtioDeviceModel, readonly rx: MockQueue, readonly tx: MockQueue, readonly ctrl: MockQueue | undefined, features: bigint) {
    this.rxFree = rx.size;
    this.txFree = tx.size;
    this.mergeable = (features & VIRTIO_NET_F_MRG_RXBUF) !== 0n;
  }

  get txRoom(): number {
    return this.txFree;
  }

  get rxPosted(): number {
    return this.rx.size - this.rxFree;
  }

  /**
   * Transmits one frame: header inline with the frame (what Linux does when it can push the
   * header), in its own descriptor, or with the header + frame bytes cut at `cuts`.
   * Returns whether the driver kicked.
   */
  send(frame: Uint8Array, opts: { header?: Partial<NetHeader>; layout?: "inline" | "separate"; cuts?: number[] } = {}): boolean {
    const bytes = new Uint8Array(NET_HDR_BYTES + frame.length);
    bytes.set(encodeNetHeader({ ...NO_HEADER, ...opts.header }));
    bytes.set(frame, NET_HDR_BYTES);
    const cuts = opts.cuts ?? (opts.layout === "separate" ? [NET_HDR_BYTES] : []);
    const parts: Part[] = split(bytes, cuts).map((p) => ({ read: p }));
    if (parts.length > this.txFree) throw new Error("tx ring full: reap first");
    const old = this.tx.publish();
    const head = this.tx.add(parts);
    this.txDescs.set(head, parts.length);
    this.txFree -= parts.length;
    return this.kickIfNeeded(this.tx, old, 1);
  }

  /** Posts up to `count` rx buffers of `size` bytes (one descriptor each, like Linux's mergeable and small buffers). */
  postRx(count: number, size: number): boolean {
    const n = Math.min(count, this.rxFree);
    if (n === 0) return false;
    const old = this.rx.publish();
    for (let i = 0; i < n; i++) this.rx.addChain([{ write: size }]);
    this.rx.publish();
    this.rxFree -= n;
    return this.kickIfNeeded(this.rx, old, 0);
  }

  /** Linux's refill rule after a NAPI poll: refill the whole ring once half of it is free. */
  refill(size: number): boolean {
    return this.rxFree > Math.min(64, this.rx.size) / 2 ? this.postRx(this.rxFree, size) : false;
  }

  /** Takes completed tx buffers; re-arms the tx interrupt for 3/4 of those still in flight. */
  reapTx(): number {
    const used = this.tx.takeUsed();
    for (const u of used) {
      this.txFree += this.txDescs.get(u.head) ?? 0;
      this.txDescs.delete(u.head);
    }
    const inFlight = this.txDescs.size;
    this.tx.usedEvent = (this.tx.usedIdx + Math.floor((inFlight * 3) / 4)) & 0xffff;
    return used.length;
  }

  /** Takes received frames (reassembling mergeable ones) and re-arms the rx interrupt. */
  reapRx(): RxFrame[] {
    const used = this.rx.takeUsed();
    this.rxFree += used.length;
    const frames: RxFrame[] = [];
    for (let i = 0; i < used.length;) {
      const first = used[i]!;
      if (first.len < NET_HDR_BYTES) throw new Error(`rx buffer with ${first.len} bytes: no header`);
      const header = decodeNetHeader(first.data.subarray(0, NET_HDR_BYTES));
      const count = this.mergeable ? header.numBuffers : 1;
      if (!this.mergeable && header.numBuffers !== 1) throw new Error(`num_buffers ${header.numBuffers} without MRG_RXBUF`);
      if (count < 1 || i + count > used.length) throw new Error(`frame claims ${count} buffers, ${used.length - i} used`);
      const parts = used.slice(i, i + count);
      frames.push({
        header,
        bytes: concat([first.data.subarray(NET_HDR_BYTES), ...parts.slice(1).map((p) => p.data)]),
        lengths: parts.map((p) => p.len),
      });
      i += count;
    }
    this.rx.usedEvent = this.rx.usedIdx;
    return frames;
  }

  /** Sends a control command the way virtnet_send_command does and returns the ack byte. */
  command(cls: number, cmd: number, data: Uint8Array[] = []): number | undefined {
    const ctrl = this.ctrl;
    if (!ctrl) throw new Error("no control queue");
    const old = ctrl.publish();
    ctrl.add([{ read: Uint8Array.of(cls, cmd) }, ...data.map((d) => ({ read: d })), { write: 1 }]);
    this.kickIfNeeded(ctrl, old, 2);
    const used = ctrl.takeUsed();
    return used[0]?.data[0];
  }

  private kickIfNeeded(q: MockQueue, old: number, index: number): boolean {
    if (!q.needsKick(old)) return false;
    this.model.notify(index);
    return true;
  }
}

export interface NetSetupOptions {
  policy?: NotificationPolicy;
  /** Features the driver accepts (default: all offered, minus `without`). */
  features?: bigint;
  without?: bigint;
  eventIdx?: boolean;
  queueSize?: number;
  mtu?: number;
  idleTicks?: number;
  memoryBytes?: number;
}

/** A virtio-net device on a mock machine, brought up like Linux does, with a driver. */
export function netSetup(opts: NetSetupOptions = {}) {
  const driver = new MockDriver(opts.memoryBytes ?? 8 << 20);
  const memory = new HookedMemory(driver.memory);
  const backend = new FakeNetBackend();
  const poll = new ManualPollSource();
  const device = new VirtioNet({
    backend, poll,
    ...(opts.policy ? { notificationPolicy: opts.policy } : {}),
    ...(opts.queueSize ? { queueSize: opts.queueSize } : {}),
    ...(opts.mtu ? { mtu: opts.mtu } : {}),
    ...(opts.idleTicks ? { idleTicks: opts.idleTicks } : {}),
  });
  const interrupts: InterruptKind[] = [];
  const logs: string[] = [];
  let net: NetDriver | undefined;
  const model = new VirtioDeviceModel(device, memory, {
    interrupt: new RecordingInterrupt(interrupts, () => {
      if (net) net.interrupted = true;
    }),
    // The card's poll and the model's deferred work share the machine's tick, as in a machine.
    ticks: poll,
    log: (m) => logs.push(m),
    ...(opts.eventIdx === undefined ? {} : { eventIdx: opts.eventIdx }),
  });
  const offered = readDeviceFeatures(model);
  const features = opts.features ?? offered & ~(opts.without ?? 0n);
  const [rx, tx, ctrl] = bringUp(model, driver, { features });
  net = new NetDriver(model, rx!, tx!, ctrl, features);
  const kicks = () => [0, 1, 2].map((i) => model.queue(i)?.counters.kicks ?? 0);
  return { driver, memory, backend, poll, device, model, net, interrupts, logs, offered, features, kicks };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(last, p));
    last = p;
  }
  return out;
}

export const concat = concatBytes;

export const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const HOST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

/** An Ethernet frame of `length` bytes (at least 18) carrying `seq` and a pattern derived from it. */
export function etherFrame(seq: number, length: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set(GUEST_MAC, 0);
  f.set(HOST_MAC, 6);
  f[12] = 0x88; // local experimental EtherType 0x88b5
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq >>> 0);
  for (let i = 18; i < length; i++) f[i] = (seq * 7 + i * 13) & 0xff;
  return f;
}

/** The sequence number etherFrame() put in a frame. */
export function frameSeq(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset).getUint32(14);
}

/**
 * An Ethernet + IPv4 + TCP frame with `payload` bytes (a valid IPv4 header checksum; the
 * TCP checksum field holds `tcpChecksum`, 0 by default). `tcpOptions` adds header bytes.
 */
export function tcpFrame(payload: number, opts: { tcpChecksum?: number; tcpOptions?: number; seed?: number } = {}): Uint8Array {
  const tcpHeader = 20 + (opts.tcpOptions ?? 0);
  const f = new Uint8Array(14 + 20 + tcpHeader + payload);
  const v = new DataView(f.buffer);
  f.set(GUEST_MAC, 0);
  f.set(HOST_MAC, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + tcpHeader + payload);
  v.setUint16(20, 0x4000); // DF
  f[22] = 64;
  f[23] = 6;
  f.set([10, 0, 2, 2], 26);
  f.set([10, 0, 2, 15], 30);
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  v.setUint16(34, 80);
  v.setUint16(36, 40000);
  v.setUint32(38, 1000);
  f[46] = (tcpHeader / 4) << 4;
  f[47] = 0x10; // ACK
  v.setUint16(48, 65535);
  v.setUint16(50, opts.tcpChecksum ?? 0);
  const base = 14 + 20 + tcpHeader;
  for (let i = 0; i < payload; i++) f[base + i] = ((opts.seed ?? 1) * 31 + i * 7) & 0xff;
  return f;
}

/** Folded ones'-complement sum of big-endian 16-bit words. */
export function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
