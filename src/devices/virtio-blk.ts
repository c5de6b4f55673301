// virtio-blk (block device, spec 5.2) over a Disk backend: one request queue, requests
// completed synchronously inside notify(). Every request is checked before the backend
// sees it: a malformed chain (no status byte, short header) is a driver protocol error
// (DEVICE_NEEDS_RESET); a well-formed one is served or refused by blk-requests.ts. This
// file is the device: its features and config space, its lifecycle and its queue.
import { SECTOR_SIZE, type Disk, type DiskCounters } from "../backends/disk.js";
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import type { AsFigures } from "../virtio/device-info.js";
import type { DescriptorChain, VirtQueue } from "../virtio/queue-types.js";
import {
  BLK_CONFIG, BLK_CONFIG_SIZE, BLK_DISCARD_ALIGNMENT, BLK_INFO, BLK_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SEG, BLK_MAX_WRITE_ZEROES_SECTORS,
  BLK_MAX_WRITE_ZEROES_SEG, BLK_REQ_HEADER_BYTES, BLK_SIZE_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
} from "./blk-spec.js";
import { BlkRequests, type BlkRequestCounts, type BlkStatus } from "./blk-requests.js";

export * from "./blk-spec.js";
export type { BlkRequestCounts } from "./blk-requests.js";

export interface VirtioBlkOptions {
  /** Maximum size of the request queue (a power of two, default 256). */
  queueMaxSize?: number;
}

/** Live figures of a disk device. */
export type BlkStats = {
  capacitySectors: number;
  readOnly: boolean;
  id: string;
  requests: BlkRequestCounts;
  disk: AsFigures<DiskCounters>;
};

export class VirtioBlk implements VirtioDevice {
  readonly info = BLK_INFO;
  readonly queueMaxSizes: readonly number[];
  readonly features: bigint;

  private ctx: DeviceContext | undefined;
  private readonly config: DataView;
  private readonly requests: BlkRequests;
  private readonly logRequest = (message: string): void => this.ctx?.log(message);

  constructor(readonly disk: Disk, opts: VirtioBlkOptions = {}) {
    const queueMax = opts.queueMaxSize ?? 256;
    this.queueMaxSizes = [queueMax];
    let features = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
    features |= disk.readOnly ? VIRTIO_BLK_F_RO : VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
    this.features = features;
    this.requests = new BlkRequests(disk);
    this.config = this.buildConfig(queueMax);
  }

  stats(): BlkStats {
    return {
      capacitySectors: this.disk.sectorCount,
      readOnly: this.disk.readOnly,
      id: this.disk.id,
      requests: { ...this.requests.counts },
      disk: { ...this.disk.counters },
    };
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (size === 1) return this.config.getUint8(offset);
    if (size === 2) return this.config.getUint16(offset, true);
    return this.config.getUint32(offset, true);
  }

  writeConfig(offset: number): void {
    // writeback is writable only with CONFIG_WCE, which is not offered: everything is read-only.
    this.ctx?.log(`ignored write to read-only config at offset ${offset}`);
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.drain();
  }

  notify(index: number): void {
    if (index === 0) this.drain();
  }

  reset(): void {
    this.ctx = undefined;
  }

  private buildConfig(queueMax: number): DataView {
    const c = new DataView(new ArrayBuffer(BLK_CONFIG_SIZE));
    const capacity = this.disk.sectorCount;
    c.setBigUint64(BLK_CONFIG.capacity, BigInt(capacity), true);
    c.setUint32(BLK_CONFIG.sizeMax, BLK_SIZE_MAX, true);
    // Room for the header and the status descriptors in a queue-sized chain, as QEMU does.
    c.setUint32(BLK_CONFIG.segMax, Math.max(1, queueMax - 2), true);
    // Geometry is not offered (GEOMETRY), but give the classic 16 heads x 63 sectors anyway.
    c.setUint16(BLK_CONFIG.geometryCylinders, Math.min(0xffff, Math.floor(capacity / (16 * 63))), true);
    c.setUint8(BLK_CONFIG.geometryHeads, 16);
    c.setUint8(BLK_CONFIG.geometrySectors, 63);
    c.setUint32(BLK_CONFIG.blkSize, SECTOR_SIZE, true);
    // Topology (not offered): one logical block per physical block, no alignment offset.
    c.setUint8(BLK_CONFIG.physicalBlockExp, 0);
    c.setUint8(BLK_CONFIG.alignmentOffset, 0);
    c.setUint16(BLK_CONFIG.minIoSize, 1, true);
    c.setUint32(BLK_CONFIG.optIoSize, 0, true);
    // Without CONFIG_WCE a driver that negotiated FLUSH assumes a writeback cache: say so.
    c.setUint8(BLK_CONFIG.writeback, 1);
    c.setUint16(BLK_CONFIG.numQueues, 1, true);
    if (!this.disk.readOnly) {
      c.setUint32(BLK_CONFIG.maxDiscardSectors, BLK_MAX_DISCARD_SECTORS, true);
      c.setUint32(BLK_CONFIG.maxDiscardSeg, BLK_MAX_DISCARD_SEG, true);
      c.setUint32(BLK_CONFIG.discardSectorAlignment, BLK_DISCARD_ALIGNMENT, true);
      c.setUint32(BLK_CONFIG.maxWriteZeroesSectors, BLK_MAX_WRITE_ZEROES_SECTORS, true);
      c.setUint32(BLK_CONFIG.maxWriteZeroesSeg, BLK_MAX_WRITE_ZEROES_SEG, true);
      // Our backends may deallocate zeroed ranges and still read them back as zeros.
      c.setUint8(BLK_CONFIG.writeZeroesMayUnmap, 1);
    }
    return c;
  }

  /** Serves every available request: notifications off, drain, back on, re-check. */
  private drain(): void {
    const ctx = this.ctx;
    const queue = ctx?.queue(0);
    if (!ctx || !queue) return;
    do {
      queue.disableNotifications();
      let used = false;
      for (let chain = queue.pop(); chain; chain = queue.pop()) {
        if (!this.serve(ctx, queue, chain)) return; // protocol error: the device was reset
        used = true;
      }
      if (used) ctx.signalUsed(0);
    } while (queue.enableNotifications());
  }

  /** Completes one request; false if the chain was malformed and the device failed. */
  private serve(ctx: DeviceContext, queue: VirtQueue, chain: DescriptorChain): boolean {
    if (chain.writableLength < 1) {
      ctx.fail(`request ${chain.head}: no device-writable byte for the status`);
      return false;
    }
    if (chain.readableLength < BLK_REQ_HEADER_BYTES) {
      ctx.fail(`request ${chain.head}: header is ${chain.readableLength} bytes, expected ${BLK_REQ_HEADER_BYTES}`);
      return false;
    }
    const reader = chain.reader();
    const writer = chain.writer();
    // Read by hand, not through a DataView and a BigInt: this runs once per request and
    // allocates nothing more than the header's bytes.
    const header = reader.read(BLK_REQ_HEADER_BYTES);
    const status = this.requests.execute({
      type: le32(header, 0),
      // Above 2^53 the number rounds, but stays far beyond any capacity, so range checks hold.
      sector: le32(header, 12) * 2 ** 32 + le32(header, 8),
      reader,
      writer,
      dataIn: chain.readableLength - BLK_REQ_HEADER_BYTES,
      dataOut: chain.writableLength - 1,
    }, ctx.features, this.logRequest);
    // The status is the last writable byte. Whatever the request left unwritten before it
    // is skipped, not zero-filled: the guest may make that gigabytes. Like QEMU, used.len
    // is the whole writable length (Linux reads only the status byte).
    writer.skip(writer.remaining - 1);
    writer.write(STATUS_BYTES[status]);
    queue.pushUsed(chain, writer.position);
    return true;
  }
}

/** The status byte for each status, made once (a request's completion allocates none). */
const STATUS_BYTES: Record<BlkStatus, Uint8Array> = {
  [VIRTIO_BLK_S_OK]: Uint8Array.of(VIRTIO_BLK_S_OK),
  [VIRTIO_BLK_S_IOERR]: Uint8Array.of(VIRTIO_BLK_S_IOERR),
  [VIRTIO_BLK_S_UNSUPP]: Uint8Array.of(VIRTIO_BLK_S_UNSUPP),
};

/** The little-endian u32 at `at` (the header is 16 bytes, so `at + 3` is inside it). */
function le32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
