// virtio-9p (the 9P transport of the virtio spec's "9P transport" device, ID 9): one
// queue whose chains each carry a 9P T-message (device-readable) and room for its
// R-message (device-writable). The messages themselves are the 9P server's
// (src/backends/9p); this file moves them between the ring and the server.
//
// Requests are served one at a time, in ring order. A server whose filesystem answers
// later (the browser's storage is asynchronous) returns a Promise: the device takes no
// further chain until it settles, so completions stay in order and a saved state, taken
// once the device has settled, holds no request half done.
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import type { DeviceInfo } from "../virtio/device-info.js";
import { DeferredWork } from "../virtio/deferred-work.js";
import type { PollSource } from "../virtio/poll-source.js";
import { QueueProtocolError, type DescriptorChain, type VirtQueue } from "../virtio/queue-types.js";
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import { HEADER_BYTES, MSG } from "../backends/9p/ninep-spec.js";
import { errorReply, EIO, EMSGSIZE } from "./ninep-replies.js";
import { errorMessage } from "../util/error-message.js";

export const VIRTIO_ID_9P = 9;
/** The config space holds the mount tag. */
export const VIRTIO_9P_MOUNT_TAG = 1n << 0n;
const REQUESTQ = 0;

/** The 9P server the device serves from (src/backends/9p/ninep-server.ts). */
export interface NinepService {
  /**
   * The reply to one T-message; `replyRoom` is the most the reply may take (a read asks for no
   * more). The reply may be a view of `replyBuffer`, which the device copies into the guest
   * before it lends the buffer again.
   */
  handle(request: Uint8Array, replyRoom: number, replyBuffer?: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The guest's session ended (device reset): every fid and open file goes. */
  reset(): void;
  /** The session's fids, for saved states. */
  saveState?(): PlainData;
  restoreState?(state: StateReader): void;
}

/** Live figures of the shared folder. */
export type NinepStats = {
  tag: string;
  requests: number;
  /** Replies that were Rlerror. */
  errors: number;
  /** T-messages by type name (Twalk, Tgetattr, ...). */
  byType: { [name: string]: number };
  /** Bytes of T-messages read and R-messages written. */
  bytesIn: number;
  bytesOut: number;
  /** A request the server is still working on (asynchronous filesystems). */
  inFlight: boolean;
};

/**
 * The most of a request read from the ring: the largest msize the server agrees to
 * (ninep-limits.ts) with room to spare; a longer request is cut here and the server
 * answers it with an error, as its size field no longer matches.
 */
export const MAX_REQUEST_BYTES = 512 * 1024 + 4096;
/** Requests served per turn before the rest wait for the next tick (each is bounded by msize). */
export const REQUESTS_PER_TURN = 64;
/** The reply buffer lent to the server: the largest msize it agrees to (a bigger reply gets its own). */
export const REPLY_BUFFER_BYTES = 512 * 1024;
/** Room for the shortest reply (Rlerror: header and ecode[4]). */
const MIN_REPLY_ROOM = HEADER_BYTES + 4;

const TYPE_NAMES = new Map<number, string>(Object.entries(MSG).map(([name, type]) => [type, name]));

export function ninepInfo(tagBytes: number): DeviceInfo {
  return {
    id: VIRTIO_ID_9P,
    name: "virtio-9p",
    kind: "other",
    featureNames: [[0, "9P_MOUNT_TAG"]],
    configSize: 2 + tagBytes,
    config: [
      { name: "tag_len", offset: 0, size: 2, format: "number", about: "bytes of the mount tag" },
      { name: "tag", offset: 2, size: tagBytes, format: "bytes", about: "the name the guest mounts the share by" },
    ],
    queueNames: ["requestq"],
    chainFormats: ["9p-message"],
  };
}

export class Virtio9p implements VirtioDevice {
  readonly info: DeviceInfo;
  readonly queueMaxSizes: readonly number[];
  readonly features = VIRTIO_9P_MOUNT_TAG;
  private readonly config: Uint8Array;
  private ctx: DeviceContext | undefined;
  private inFlight: Promise<void> | undefined;
  /**
   * Lent to the server for each request (a Tread is read straight into it), so a big read
   * allocates nothing: one request uses it at a time, as the device takes no chain while one
   * is in flight, and its reply is copied into the guest before the next. Dropped on reset, as
   * a request in flight then may still write into it later.
   */
  private replyBuffer: Uint8Array | undefined;
  private readonly carryOn: DeferredWork;
  private readonly counts = { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0 };
  private readonly byType = new Map<number, number>();

  constructor(private readonly server: NinepService, readonly tag: string, ticks: PollSource, queueSize = 128) {
    const tagBytes = new TextEncoder().encode(tag);
    if (tagBytes.length === 0 || tagBytes.length > 0xffff) throw new Error(`virtio-9p: a mount tag of 1 to 65535 bytes (got ${tagBytes.length})`);
    this.config = new Uint8Array(2 + tagBytes.length);
    new DataView(this.config.buffer).setUint16(0, tagBytes.length, true);
    this.config.set(tagBytes, 2);
    this.info = ninepInfo(tagBytes.length);
    this.queueMaxSizes = [queueSize];
    this.carryOn = new DeferredWork(ticks, () => this.ctx?.guard(() => this.serve()));
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + (this.config[offset + i] ?? 0);
    return value;
  }

  writeConfig(): void {
    // The config space is the device's: the tag is read-only.
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.serve();
  }

  notify(): void {
    this.serve();
  }

  reset(): void {
    this.ctx = undefined;
    this.carryOn.stop();
    // A request still in flight finishes into nothing: its context is stale (see finish).
    this.inFlight = undefined;
    this.replyBuffer = undefined;
    this.server.reset();
  }

  /** Resolves once no request is in flight (what a saved state waits for). */
  async settle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  stats(): NinepStats {
    const byType: { [name: string]: number } = {};
    for (const [type, n] of this.byType) byType[TYPE_NAMES.get(type) ?? `type ${type}`] = n;
    return { tag: this.tag, ...this.counts, byType, inFlight: this.inFlight !== undefined };
  }

  saveState(): PlainData {
    if (this.inFlight) throw new Error("virtio-9p: a request is in flight (the machine settles devices before saving)");
    return { server: this.server.saveState?.() ?? null };
  }

  restoreState(state: StateReader): void {
    const server = state.field("server");
    if (server.isNull()) return;
    const restore = this.server.restoreState?.bind(this.server);
    if (!restore) return server.fail("null (this share keeps no session state)");
    restore(server);
  }

  /** Serves requests in ring order until the ring is empty, one is in flight, or the turn's share is used. */
  private serve(): void {
    const ctx = this.ctx;
    const queue = ctx?.queue(REQUESTQ);
    if (!ctx || !queue) return;
    let served = 0;
    let used = false;
    while (!this.inFlight) {
      if (served === REQUESTS_PER_TURN) {
        this.carryOn.schedule();
        break;
      }
      const chain = queue.pop();
      if (!chain) break;
      served++;
      const request = this.readRequest(chain);
      this.replyBuffer ??= new Uint8Array(REPLY_BUFFER_BYTES);
      const reply = this.server.handle(request, chain.writableLength, this.replyBuffer);
      if (reply instanceof Promise) {
        this.inFlight = this.await(ctx, queue, chain, request, reply);
        break;
      }
      this.complete(queue, chain, request, reply);
      used = true;
    }
    if (used) ctx.signalUsed(REQUESTQ);
  }

  private readRequest(chain: DescriptorChain): Uint8Array {
    if (chain.readableLength < HEADER_BYTES) {
      throw new QueueProtocolError(`requestq: a request of ${chain.readableLength} bytes is shorter than a 9P header (${HEADER_BYTES})`);
    }
    if (chain.writableLength < MIN_REPLY_ROOM) {
      throw new QueueProtocolError(`requestq: a request with ${chain.writableLength} bytes of room for its reply (a 9P error reply needs ${MIN_REPLY_ROOM})`);
    }
    const request = chain.reader().read(MAX_REQUEST_BYTES);
    this.counts.requests++;
    this.counts.bytesIn += request.length;
    const type = request[4]!;
    this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    return request;
  }

  /** Writes the reply (an error instead when it does not fit) and puts the chain on the used ring. */
  private complete(queue: VirtQueue, chain: DescriptorChain, request: Uint8Array, reply: Uint8Array): void {
    let out = reply;
    if (out.length > chain.writableLength) {
      this.ctx?.log(`requestq: a reply of ${out.length} bytes does not fit the ${chain.writableLength} bytes the guest gave; answered EMSGSIZE`);
      out = errorReply(request, EMSGSIZE);
    }
    if (out[4] === MSG.Rlerror) this.counts.errors++;
    const writer = chain.writer();
    writer.write(out);
    this.counts.bytesOut += writer.written;
    queue.pushUsed(chain, writer.written);
  }

  private async await(ctx: DeviceContext, queue: VirtQueue, chain: DescriptorChain, request: Uint8Array, pending: Promise<Uint8Array>): Promise<void> {
    let reply: Uint8Array;
    try {
      reply = await pending;
    } catch (e) {
      // The server answers errors with Rlerror itself; a rejection is a fault of ours.
      reply = errorReply(request, EIO);
      ctx.log(`requestq: the shared folder failed a request: ${errorMessage(e)}`);
    }
    // A reset meanwhile made this context stale: the reply goes nowhere.
    if (this.ctx !== ctx) return;
    this.inFlight = undefined;
    ctx.guard(() => {
      this.complete(queue, chain, request, reply);
      ctx.signalUsed(REQUESTQ);
      this.serve();
    });
  }
}
