// A disk backed by a file, for Node (the CLI, tests, benchmarks): synchronous fs calls,
// flush = fsync. Import this only from Node code: it pulls in node:fs. Only moves bytes:
// wrap it in a CheckedDisk (checked-disk.ts), which checks and counts every request.
import * as fs from "node:fs";
import * as path from "node:path";
import { checkSectorCount, DISK_ID_BYTES, DiskError, SECTOR_SIZE, type DiskBackend } from "./disk.js";

export interface NodeFileDiskOptions {
  /** Open O_RDONLY (CheckedDisk refuses writes, discards and write-zeroes). */
  readOnly?: boolean;
  /**
   * Size in bytes for a file that does not exist yet (a multiple of 512): the file is
   * created (sparse) with that size. Without it a missing file is an error. An existing
   * file keeps its own size.
   */
  createSize?: number;
  /** Default: the file's name, cut to 20 bytes. */
  id?: string;
}

/** Bytes written per call by writeZeroes. */
const ZERO_BLOCK = 1 << 20;

export class NodeFileDisk implements DiskBackend {
  readonly sectorCount: number;
  readonly readOnly: boolean;
  readonly id: string;
  private fd: number | undefined;
  private zeros: Uint8Array | undefined;

  private constructor(readonly path: string, fd: number, sizeBytes: number, readOnly: boolean, id: string) {
    this.fd = fd;
    this.sectorCount = sizeBytes / SECTOR_SIZE;
    this.readOnly = readOnly;
    this.id = id;
  }

  static open(file: string, opts: NodeFileDiskOptions = {}): NodeFileDisk {
    const readOnly = opts.readOnly ?? false;
    if (!fs.existsSync(file)) {
      if (opts.createSize === undefined) throw new DiskError(`disk image ${file} does not exist (give a size to create it)`);
      if (readOnly) throw new DiskError(`disk image ${file} does not exist and cannot be created read-only`);
      const size = opts.createSize;
      if (!Number.isSafeInteger(size) || size < 0 || size % SECTOR_SIZE !== 0) {
        throw new DiskError(`cannot create disk image ${file}: size ${size} is not a multiple of ${SECTOR_SIZE} bytes`);
      }
      const fd = fs.openSync(file, "wx+");
      try {
        fs.ftruncateSync(fd, size);
      } finally {
        fs.closeSync(fd);
      }
    }
    if (!fs.statSync(file).isFile()) throw new DiskError(`disk image ${file} is not a regular file`);
    const fd = fs.openSync(file, readOnly ? "r" : "r+");
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new DiskError(`disk image ${file} is not a regular file`);
      if (stat.size % SECTOR_SIZE !== 0) {
        throw new DiskError(`disk image ${file} is ${stat.size} bytes, not a multiple of ${SECTOR_SIZE}: pad it (truncate -s %512) or pick the right file`);
      }
      checkSectorCount(stat.size / SECTOR_SIZE);
      const id = opts.id ?? truncateUtf8(path.basename(file), DISK_ID_BYTES);
      return new NodeFileDisk(file, fd, stat.size, readOnly, id);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  read(sector: number, into: Uint8Array): void {
    const fd = this.handle();
    let done = 0;
    while (done < into.length) {
      const n = fs.readSync(fd, into, done, into.length - done, sector * SECTOR_SIZE + done);
      if (n === 0) throw new Error(`disk image ${this.path} shrank: read at byte ${sector * SECTOR_SIZE + done} hit its end`);
      done += n;
    }
  }

  write(sector: number, data: Uint8Array): void {
    this.writeAll(sector * SECTOR_SIZE, data);
  }

  flush(): void {
    if (!this.readOnly) fs.fsyncSync(this.handle());
  }

  /** Node cannot punch holes, and discard promises nothing about the data: nothing to do. */
  discard(): void {}

  writeZeroes(sector: number, count: number): void {
    this.zeros ??= new Uint8Array(ZERO_BLOCK);
    const end = (sector + count) * SECTOR_SIZE;
    for (let at = sector * SECTOR_SIZE; at < end; at += ZERO_BLOCK) {
      this.writeAll(at, this.zeros.subarray(0, Math.min(ZERO_BLOCK, end - at)));
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }

  private writeAll(position: number, data: Uint8Array): void {
    const fd = this.handle();
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
  }

  private handle(): number {
    if (this.fd === undefined) throw new Error(`disk image ${this.path} is closed`);
    return this.fd;
  }
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `max` bytes. */
function truncateUtf8(s: string, max: number): string {
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}
