// virtio-blk's numbers (spec 5.2): feature bits, request types and statuses, the config
// space layout, the limits this device advertises and keeps, and what it says about itself.
import type { DeviceInfo } from "../virtio/device-info.js";

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

/**
 * The most data one read or write request may move (a bound on one chain's work, see
 * work-budget.ts). Linux's requests are at most max_sectors_kb (1280 KiB by default);
 * a larger one completes with IOERR and a log line instead of stalling the machine.
 */
export const BLK_MAX_REQUEST_BYTES = 8 * 1024 * 1024;


/** virtio-blk as it describes itself: the spec's names for its bits, config fields and queue. */
export const BLK_INFO: DeviceInfo = {
  id: VIRTIO_ID_BLOCK,
  name: "virtio-blk",
  kind: "storage",
  featureNames: [
    [1, "BLK_F_SIZE_MAX"], [2, "BLK_F_SEG_MAX"], [4, "BLK_F_GEOMETRY"], [5, "BLK_F_RO"], [6, "BLK_F_BLK_SIZE"],
    [9, "BLK_F_FLUSH"], [10, "BLK_F_TOPOLOGY"], [11, "BLK_F_CONFIG_WCE"], [12, "BLK_F_MQ"], [13, "BLK_F_DISCARD"],
    [14, "BLK_F_WRITE_ZEROES"], [15, "BLK_F_LIFETIME"], [16, "BLK_F_SECURE_ERASE"],
  ],
  configSize: BLK_CONFIG_SIZE,
  config: [
    { name: "capacity", offset: BLK_CONFIG.capacity, size: 8, format: "number", about: "512-byte sectors" },
    { name: "size_max", offset: BLK_CONFIG.sizeMax, size: 4, format: "number", about: "largest data segment, bytes" },
    { name: "seg_max", offset: BLK_CONFIG.segMax, size: 4, format: "number", about: "data segments per request" },
    { name: "geometry.cylinders", offset: BLK_CONFIG.geometryCylinders, size: 2, format: "number" },
    { name: "geometry.heads", offset: BLK_CONFIG.geometryHeads, size: 1, format: "number" },
    { name: "geometry.sectors", offset: BLK_CONFIG.geometrySectors, size: 1, format: "number" },
    { name: "blk_size", offset: BLK_CONFIG.blkSize, size: 4, format: "number", about: "logical block size, bytes" },
    { name: "physical_block_exp", offset: BLK_CONFIG.physicalBlockExp, size: 1, format: "number" },
    { name: "alignment_offset", offset: BLK_CONFIG.alignmentOffset, size: 1, format: "number" },
    { name: "min_io_size", offset: BLK_CONFIG.minIoSize, size: 2, format: "number" },
    { name: "opt_io_size", offset: BLK_CONFIG.optIoSize, size: 4, format: "number" },
    { name: "writeback", offset: BLK_CONFIG.writeback, size: 1, format: "number", about: "1: a write-back cache (flush it)" },
    { name: "num_queues", offset: BLK_CONFIG.numQueues, size: 2, format: "number" },
    { name: "max_discard_sectors", offset: BLK_CONFIG.maxDiscardSectors, size: 4, format: "number" },
    { name: "max_discard_seg", offset: BLK_CONFIG.maxDiscardSeg, size: 4, format: "number" },
    { name: "discard_sector_alignment", offset: BLK_CONFIG.discardSectorAlignment, size: 4, format: "number" },
    { name: "max_write_zeroes_sectors", offset: BLK_CONFIG.maxWriteZeroesSectors, size: 4, format: "number" },
    { name: "max_write_zeroes_seg", offset: BLK_CONFIG.maxWriteZeroesSeg, size: 4, format: "number" },
    { name: "write_zeroes_may_unmap", offset: BLK_CONFIG.writeZeroesMayUnmap, size: 1, format: "number" },
  ],
  queueNames: ["requestq"],
  chainFormats: ["blk-request"],
};
