// What virtio-blk does with one well-formed request whose header it has read: reads,
// writes, flush, get-id, discard and write-zeroes against the Disk, every one checked
// before the backend sees it. A request that cannot be served (bad sector, odd length,
// read-only disk, unknown type, too large) completes with IOERR or UNSUPP and a log line;
// nothing outside [0, capacity) of the disk is ever touched.
import { DISK_ID_BYTES, SECTOR_SIZE, type Disk } from "../backends/disk.js";
import type { ChainReader, ChainWriter } from "../virtio/queue-types.js";
import {
  BLK_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SEG, BLK_MAX_REQUEST_BYTES, BLK_MAX_WRITE_ZEROES_SECTORS, BLK_MAX_WRITE_ZEROES_SEG,
  BLK_SEGMENT_BYTES, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from "./blk-spec.js";
import { errorMessage } from "../util/error-message.js";

/** Data moves between guest and disk through a scratch buffer of this size. */
const TRANSFER_BYTES = 64 * 1024;
/** Rejected requests logged per device before it goes quiet (a broken driver can send millions). */
const ERROR_LOG_LIMIT = 32;

export type BlkStatus = typeof VIRTIO_BLK_S_OK | typeof VIRTIO_BLK_S_IOERR | typeof VIRTIO_BLK_S_UNSUPP;

export type BlkRequestCounts = {
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
};

/** One request as the device read it: its header's type and sector, and its data's extent. */
export interface BlkRequest {
  type: number;
  sector: number;
  reader: ChainReader;
  writer: ChainWriter;
  /** Readable bytes after the header. */
  dataIn: number;
  /** Writable bytes before the status byte. */
  dataOut: number;
}

export class BlkRequests {
  readonly counts: BlkRequestCounts = { read: 0, write: 0, flush: 0, getId: 0, discard: 0, writeZeroes: 0, unsupported: 0, ioErrors: 0 };
  private readonly scratch = new Uint8Array(TRANSFER_BYTES);
  private readonly idBytes: Uint8Array;
  private errorsLogged = 0;

  constructor(private readonly disk: Disk) {
    this.idBytes = new Uint8Array(DISK_ID_BYTES); // NUL-padded; no terminator at 20 bytes
    this.idBytes.set(new TextEncoder().encode(disk.id).subarray(0, DISK_ID_BYTES));
  }

  /** Runs `request` with the features the driver negotiated; `log` says why one was refused. */
  execute(request: BlkRequest, features: bigint, log: (message: string) => void): BlkStatus {
    const status = this.run(request, features, log);
    if (status === VIRTIO_BLK_S_IOERR) this.counts.ioErrors++;
    if (status === VIRTIO_BLK_S_UNSUPP) this.counts.unsupported++;
    return status;
  }

  private run(r: BlkRequest, features: bigint, log: (message: string) => void): BlkStatus {
    const disk = this.disk;
    switch (r.type) {
      case VIRTIO_BLK_T_IN: {
        this.counts.read++;
        const bad = this.checkTransfer(r.sector, r.dataOut);
        if (bad) return this.reject(log, VIRTIO_BLK_S_IOERR, `read: ${bad}`);
        return this.read(r, log);
      }
      case VIRTIO_BLK_T_OUT: {
        this.counts.write++;
        if (disk.readOnly) return this.reject(log, VIRTIO_BLK_S_IOERR, `write of ${r.dataIn} bytes at sector ${r.sector} to a read-only disk`);
        const bad = this.checkTransfer(r.sector, r.dataIn);
        if (bad) return this.reject(log, VIRTIO_BLK_S_IOERR, `write: ${bad}`);
        return this.write(r, log);
      }
      case VIRTIO_BLK_T_FLUSH:
        this.counts.flush++;
        return this.backend(log, "flush", () => disk.flush());
      case VIRTIO_BLK_T_GET_ID:
        this.counts.getId++;
        if (r.dataOut < DISK_ID_BYTES) return this.reject(log, VIRTIO_BLK_S_IOERR, `get-id: ${r.dataOut}-byte buffer, need ${DISK_ID_BYTES}`);
        r.writer.write(this.idBytes);
        return VIRTIO_BLK_S_OK;
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return this.discardOrZero(r.type === VIRTIO_BLK_T_WRITE_ZEROES, r.reader, r.dataIn, features, log);
      default:
        return this.reject(log, VIRTIO_BLK_S_UNSUPP, `unsupported request type ${r.type}`);
    }
  }

  // Reads and writes are nearly every request: they run their backend work in a method of
  // their own, not through backend()'s closure, so serving one allocates no function.

  /** Copies the checked sectors of a read from the disk into the driver's buffers. */
  private read(r: BlkRequest, log: (message: string) => void): BlkStatus {
    try {
      for (let done = 0; done < r.dataOut; done += TRANSFER_BYTES) {
        const part = this.scratch.subarray(0, Math.min(TRANSFER_BYTES, r.dataOut - done));
        this.disk.read(r.sector + done / SECTOR_SIZE, part);
        r.writer.write(part);
      }
      return VIRTIO_BLK_S_OK;
    } catch (e) {
      return this.backendFailed(log, "read", e);
    }
  }

  /** Copies the checked sectors of a write from the driver's buffers to the disk. */
  private write(r: BlkRequest, log: (message: string) => void): BlkStatus {
    try {
      for (let done = 0; done < r.dataIn; done += TRANSFER_BYTES) {
        const part = this.scratch.subarray(0, Math.min(TRANSFER_BYTES, r.dataIn - done));
        r.reader.readInto(part); // dataIn is what the chain holds: this fills `part`
        this.disk.write(r.sector + done / SECTOR_SIZE, part);
      }
      return VIRTIO_BLK_S_OK;
    } catch (e) {
      return this.backendFailed(log, "write", e);
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

  private discardOrZero(zeroes: boolean, reader: ChainReader, dataIn: number, features: bigint, log: (message: string) => void): BlkStatus {
    const what = zeroes ? "write-zeroes" : "discard";
    if (zeroes) this.counts.writeZeroes++;
    else this.counts.discard++;
    const feature = zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;
    if ((features & feature) === 0n) return this.reject(log, VIRTIO_BLK_S_UNSUPP, `${what} without the feature negotiated`);
    if (this.disk.readOnly) return this.reject(log, VIRTIO_BLK_S_IOERR, `${what} on a read-only disk`);
    if (dataIn === 0 || dataIn % BLK_SEGMENT_BYTES !== 0) {
      return this.reject(log, VIRTIO_BLK_S_IOERR, `${what}: ${dataIn} bytes of segments, not a positive multiple of ${BLK_SEGMENT_BYTES}`);
    }
    const maxSeg = zeroes ? BLK_MAX_WRITE_ZEROES_SEG : BLK_MAX_DISCARD_SEG;
    const maxSectors = zeroes ? BLK_MAX_WRITE_ZEROES_SECTORS : BLK_MAX_DISCARD_SECTORS;
    const count = dataIn / BLK_SEGMENT_BYTES;
    if (count > maxSeg) return this.reject(log, VIRTIO_BLK_S_UNSUPP, `${what}: ${count} segments, at most ${maxSeg}`);
    // Check every segment before touching the disk.
    const raw = viewOf(reader.read(dataIn));
    const segments: { sector: number; count: number }[] = [];
    for (let i = 0; i < count; i++) {
      const sector = Number(raw.getBigUint64(i * BLK_SEGMENT_BYTES, true));
      const n = raw.getUint32(i * BLK_SEGMENT_BYTES + 8, true);
      const flags = raw.getUint32(i * BLK_SEGMENT_BYTES + 12, true);
      // Spec 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP.
      if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0) {
        return this.reject(log, VIRTIO_BLK_S_UNSUPP, `${what}: segment ${i} has reserved flag bits 0x${flags.toString(16)}`);
      }
      if (!zeroes && flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) {
        return this.reject(log, VIRTIO_BLK_S_UNSUPP, `discard: segment ${i} sets the unmap flag`);
      }
      if (n > maxSectors) return this.reject(log, VIRTIO_BLK_S_IOERR, `${what}: segment ${i} covers ${n} sectors, at most ${maxSectors}`);
      if (sector + n > this.disk.sectorCount) {
        return this.reject(log, VIRTIO_BLK_S_IOERR, `${what}: segment ${i} (sectors ${sector}+${n}) is beyond the end of the disk (${this.disk.sectorCount} sectors)`);
      }
      segments.push({ sector, count: n });
    }
    return this.backend(log, what, () => {
      for (const s of segments) {
        if (zeroes) this.disk.writeZeroes(s.sector, s.count);
        else this.disk.discard(s.sector, s.count);
      }
    });
  }

  /** Runs backend work; a host-side failure becomes IOERR (never a device failure). */
  private backend(log: (message: string) => void, what: string, work: () => void): BlkStatus {
    try {
      work();
      return VIRTIO_BLK_S_OK;
    } catch (e) {
      return this.backendFailed(log, what, e);
    }
  }

  /** A host-side failure: IOERR, logged. */
  private backendFailed(log: (message: string) => void, what: string, e: unknown): BlkStatus {
    return this.reject(log, VIRTIO_BLK_S_IOERR, `${what} failed in the backend: ${errorMessage(e)}`);
  }

  private reject(log: (message: string) => void, status: BlkStatus, message: string): BlkStatus {
    this.errorsLogged++;
    if (this.errorsLogged <= ERROR_LOG_LIMIT) {
      const name = status === VIRTIO_BLK_S_UNSUPP ? "UNSUPP" : "IOERR";
      const more = this.errorsLogged === ERROR_LOG_LIMIT ? " (further errors not logged)" : "";
      log(`${message}: ${name}${more}`);
    }
    return status;
  }
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
