// virtio-blk (block device, spec 5.2) over a Disk backend: one request queue, requests
// completed synchronously inside notify(). Every request is checked before the backend
// sees it: a malformed chain (no status byte, short header) is a driver protocol error
// (DEVICE_NEEDS_RESET); a well-formed request that cannot be served (bad sector, odd
// length, read-only disk, unknown type) completes with IOERR or UNSUPP and a log line.
// Nothing outside [0, capacity) of the disk is ever touched.
import { DISK_ID_BYTES, SECTOR_SIZE, type Disk, type DiskCounters } from "../backends/disk.js";
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import type { ChainReader, ChainWriter, DescriptorChain, VirtQueue } from "../virtio/queue-types.js";

export const VIRTIO_ID_BLOCK = 2;

// Feature bits (spec 5.2.3).
export const VIRTIO_BLK_F_SIZE_MAX = 1n << 1n;
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
export const VIRTIO_BLK_F_GEOMETRY = 1n << 4n;
export const VIRTIO_BLK_F_RO = 1n << 5n;
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;
export const VIRTIO_BLK_F_TOPOLOGY = 1n << 10n;
export const VIRTIO_BLK_F_CONFIG_WCE = 1n << 11n;
export const VIRTIO_BLK_F_MQ = 1n << 12n;
export const VIRTIO_BLK_F_DISCARD = 1n << 13n;
export const VIRTIO_BLK_F_WRITE_ZEROES = 1n << 14n;

// Request types (spec 5.2.6).
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_GET_LIFETIME = 10;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
export const VIRTIO_BLK_T_SECURE_ERASE = 14;

// Status byte values.
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Bit 0 of a discard / write-zeroes segment's flags; every other bit is reserved. */
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

/** type u32, reserved u32, sector u64. */
export const BLK_REQ_HEADER_BYTES = 16;
/** sector u64, num_sectors u32, flags u32. */
export const BLK_SEGMENT_BYTES = 16;

// Config space offsets (struct virtio_blk_config, spec 5.2.4).
export const BLK_CONFIG = {
  capacity: 0, // le64, in 512-byte sectors
  sizeMax: 8, // le32
  segMax: 12, // le32
  geometryCylinders: 16, // le16
  geometryHeads: 18, // u8
  geometrySectors: 19, // u8
  blkSize: 20, // le32
  physicalBlockExp: 24, // u8
  alignmentOffset: 25, // u8
  minIoSize: 26, // le16
  optIoSize: 28, // le32
  writeback: 32, // u8
  numQueues: 34, // le16
  maxDiscardSectors: 36, // le32
  maxDiscardSeg: 40, // le32
  discardSectorAlignment: 44, // le32
  maxWriteZeroesSectors: 48, // le32
  maxWriteZeroesSeg: 52, // le32
  writeZeroesMayUnmap: 56, // u8, then 3 bytes of padding
} as const;
/** Up to and including write_zeroes_may_unmap's padding; secure erase and zoned fields are not offered. */
export const BLK_CONFIG_SIZE = 60;

/** Largest single data descriptor the driver may use (size_max). */
export const BLK_SIZE_MAX = 1 << 20;
/** Sectors one discard segment may cover (2 GiB). */
export const BLK_MAX_DISCARD_SECTORS = 1 << 22;
/** Segments one discard request may carry. */
export const BLK_MAX_DISCARD_SEG = 32;
/** Sectors one write-zeroes segment may cover (32 MiB: a file backend writes them all). */
export const BLK_MAX_WRITE_ZEROES_SECTORS = 1 << 16;
export const BLK_MAX_WRITE_ZEROES_SEG = 8;
/** Discard granularity hint, in sectors (4 KiB). */
export const BLK_DISCARD_ALIGNMENT = 8;

/** Data moves between guest and disk through a scratch buffer of this size. */
const TRANSFER_BYTES = 64 * 1024;
/**
 * The most data one read or write request may move (a bound on one chain's work, see
 * work-budget.ts). Linux's requests are at most max_sectors_kb (1280 KiB by default);
 * a larger one completes with IOERR and a log line instead of stalling the machine.
 */
export const BLK_MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** Rejected requests logged per device before it goes quiet (a broken driver can send millions). */
const ERROR_LOG_LIMIT = 32;

export interface VirtioBlkOptions {
  /** Maximum size of the request queue (a power of two, default 256). */
  queueMaxSize?: number;
}

export interface BlkRequestCounts {
  read: number;
  write: number;
  flush: number;
  getId: number;
  discard: number;
  writeZeroes: number;
  /** Requests completed with UNSUPP. */
  unsupported: number;
  /** Requests completed with IOERR. */
  ioErrors: number;
}

export interface BlkSnapshot {
  capacitySectors: number;
  readOnly: boolean;
  id: string;
  requests: BlkRequestCounts;
  disk: DiskCounters;
}

type Status = typeof VIRTIO_BLK_S_OK | typeof VIRTIO_BLK_S_IOERR | typeof VIRTIO_BLK_S_UNSUPP;

export class VirtioBlk implements VirtioDevice {
  readonly name = "virtio-blk";
  readonly deviceType = VIRTIO_ID_BLOCK;
  readonly queueMaxSizes: readonly number[];
  readonly features: bigint;
  readonly configSize = BLK_CONFIG_SIZE;

  private ctx: DeviceContext | undefined;
  private readonly config: DataView;
  private readonly idBytes: Uint8Array;
  private readonly scratch = new Uint8Array(TRANSFER_BYTES);
  private readonly counts: BlkRequestCounts = {
    read: 0, write: 0, flush: 0, getId: 0, discard: 0, writeZeroes: 0, unsupported: 0, ioErrors: 0,
  };
  private errorsLogged = 0;

  constructor(readonly disk: Disk, opts: VirtioBlkOptions = {}) {
    const queueMax = opts.queueMaxSize ?? 256;
    this.queueMaxSizes = [queueMax];
    let features = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
    features |= disk.readOnly ? VIRTIO_BLK_F_RO : VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
    this.features = features;
    this.idBytes = new Uint8Array(DISK_ID_BYTES); // NUL-padded; no terminator at 20 bytes
    this.idBytes.set(new TextEncoder().encode(disk.id).subarray(0, DISK_ID_BYTES));
    this.config = this.buildConfig(queueMax);
  }

  snapshot(): BlkSnapshot {
    return {
      capacitySectors: this.disk.sectorCount,
      readOnly: this.disk.readOnly,
      id: this.disk.id,
      requests: { ...this.counts },
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
    const header = viewOf(reader.read(BLK_REQ_HEADER_BYTES));
    const type = header.getUint32(0, true);
    // Above 2^53 the number rounds, but stays far beyond any capacity, so range checks hold.
    const sector = Number(header.getBigUint64(8, true));
    const status = this.execute(ctx, type, sector, reader, writer, chain.readableLength - BLK_REQ_HEADER_BYTES, chain.writableLength - 1);
    if (status === VIRTIO_BLK_S_IOERR) this.counts.ioErrors++;
    if (status === VIRTIO_BLK_S_UNSUPP) this.counts.unsupported++;
    // The status is the last writable byte. Whatever the request left unwritten before it
    // is skipped, not zero-filled: the guest may make that gigabytes. Like QEMU, used.len
    // is the whole writable length (Linux reads only the status byte).
    writer.skip(writer.remaining - 1);
    writer.write(Uint8Array.of(status));
    queue.pushUsed(chain, writer.position);
    return true;
  }

  /**
   * Runs a request whose header is read. `dataIn` readable bytes follow the header,
   * `dataOut` writable bytes precede the status byte.
   */
  private execute(
    ctx: DeviceContext, type: number, sector: number, reader: ChainReader, writer: ChainWriter, dataIn: number, dataOut: number,
  ): Status {
    const disk = this.disk;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        this.counts.read++;
        const bad = this.checkTransfer(sector, dataOut);
        if (bad) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `read: ${bad}`);
        return this.backend(ctx, "read", () => {
          for (let done = 0; done < dataOut; done += TRANSFER_BYTES) {
            const part = this.scratch.subarray(0, Math.min(TRANSFER_BYTES, dataOut - done));
            disk.read(sector + done / SECTOR_SIZE, part);
            writer.write(part);
          }
        });
      }
      case VIRTIO_BLK_T_OUT: {
        this.counts.write++;
        if (disk.readOnly) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `write of ${dataIn} bytes at sector ${sector} to a read-only disk`);
        const bad = this.checkTransfer(sector, dataIn);
        if (bad) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `write: ${bad}`);
        return this.backend(ctx, "write", () => {
          for (let done = 0; done < dataIn; done += TRANSFER_BYTES) {
            disk.write(sector + done / SECTOR_SIZE, reader.read(Math.min(TRANSFER_BYTES, dataIn - done)));
          }
        });
      }
      case VIRTIO_BLK_T_FLUSH:
        this.counts.flush++;
        return this.backend(ctx, "flush", () => disk.flush());
      case VIRTIO_BLK_T_GET_ID:
        this.counts.getId++;
        if (dataOut < DISK_ID_BYTES) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `get-id: ${dataOut}-byte buffer, need ${DISK_ID_BYTES}`);
        writer.write(this.idBytes);
        return VIRTIO_BLK_S_OK;
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return this.discardOrZero(ctx, type === VIRTIO_BLK_T_WRITE_ZEROES, reader, dataIn);
      default:
        return this.reject(ctx, VIRTIO_BLK_S_UNSUPP, `unsupported request type ${type}`);
    }
  }

  /** Why a read or write of `bytes` at `sector` cannot be done, or undefined if it can. */
  private checkTransfer(sector: number, bytes: number): string | undefined {
    if (bytes > BLK_MAX_REQUEST_BYTES) return `${bytes} data bytes at sector ${sector} are more than the ${BLK_MAX_REQUEST_BYTES} one request may move`;
    if (bytes % SECTOR_SIZE !== 0) return `${bytes} data bytes at sector ${sector} are not a multiple of ${SECTOR_SIZE}`;
    const count = bytes / SECTOR_SIZE;
    if (sector + count > this.disk.sectorCount) {
      return `sectors ${sector}+${count} are beyond the end of the disk (${this.disk.sectorCount} sectors)`;
    }
    return undefined;
  }

  private discardOrZero(ctx: DeviceContext, zeroes: boolean, reader: ChainReader, dataIn: number): Status {
    const what = zeroes ? "write-zeroes" : "discard";
    if (zeroes) this.counts.writeZeroes++;
    else this.counts.discard++;
    const feature = zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;
    if ((ctx.features & feature) === 0n) return this.reject(ctx, VIRTIO_BLK_S_UNSUPP, `${what} without the feature negotiated`);
    if (this.disk.readOnly) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `${what} on a read-only disk`);
    if (dataIn === 0 || dataIn % BLK_SEGMENT_BYTES !== 0) {
      return this.reject(ctx, VIRTIO_BLK_S_IOERR, `${what}: ${dataIn} bytes of segments, not a positive multiple of ${BLK_SEGMENT_BYTES}`);
    }
    const maxSeg = zeroes ? BLK_MAX_WRITE_ZEROES_SEG : BLK_MAX_DISCARD_SEG;
    const maxSectors = zeroes ? BLK_MAX_WRITE_ZEROES_SECTORS : BLK_MAX_DISCARD_SECTORS;
    const count = dataIn / BLK_SEGMENT_BYTES;
    if (count > maxSeg) return this.reject(ctx, VIRTIO_BLK_S_UNSUPP, `${what}: ${count} segments, at most ${maxSeg}`);
    // Check every segment before touching the disk.
    const raw = viewOf(reader.read(dataIn));
    const segments: { sector: number; count: number }[] = [];
    for (let i = 0; i < count; i++) {
      const sector = Number(raw.getBigUint64(i * BLK_SEGMENT_BYTES, true));
      const n = raw.getUint32(i * BLK_SEGMENT_BYTES + 8, true);
      const flags = raw.getUint32(i * BLK_SEGMENT_BYTES + 12, true);
      // Spec 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP.
      if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0) {
        return this.reject(ctx, VIRTIO_BLK_S_UNSUPP, `${what}: segment ${i} has reserved flag bits 0x${flags.toString(16)}`);
      }
      if (!zeroes && flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) {
        return this.reject(ctx, VIRTIO_BLK_S_UNSUPP, `discard: segment ${i} sets the unmap flag`);
      }
      if (n > maxSectors) return this.reject(ctx, VIRTIO_BLK_S_IOERR, `${what}: segment ${i} covers ${n} sectors, at most ${maxSectors}`);
      if (sector + n > this.disk.sectorCount) {
        return this.reject(ctx, VIRTIO_BLK_S_IOERR, `${what}: segment ${i} (sectors ${sector}+${n}) is beyond the end of the disk (${this.disk.sectorCount} sectors)`);
      }
      segments.push({ sector, count: n });
    }
    return this.backend(ctx, what, () => {
      for (const s of segments) {
        if (zeroes) this.disk.writeZeroes(s.sector, s.count);
        else this.disk.discard(s.sector, s.count);
      }
    });
  }

  /** Runs backend work; a host-side failure becomes IOERR (never a device failure). */
  private backend(ctx: DeviceContext, what: string, work: () => void): Status {
    try {
      work();
      return VIRTIO_BLK_S_OK;
    } catch (e) {
      return this.reject(ctx, VIRTIO_BLK_S_IOERR, `${what} failed in the backend: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private reject(ctx: DeviceContext, status: Status, message: string): Status {
    this.errorsLogged++;
    if (this.errorsLogged <= ERROR_LOG_LIMIT) {
      const name = status === VIRTIO_BLK_S_UNSUPP ? "UNSUPP" : "IOERR";
      const more = this.errorsLogged === ERROR_LOG_LIMIT ? " (further errors not logged)" : "";
      ctx.log(`${message}: ${name}${more}`);
    }
    return status;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
