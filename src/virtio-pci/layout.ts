// Where the virtio-pci structures live inside the device's one BAR, and the vendor
// capabilities that tell the driver so (virtio 1.2, 4.1.4). The same compact layout fits
// a 256-byte I/O BAR and the first bytes of a 128 KiB memory BAR:
//
//   0x00  common configuration (0x3c bytes used)
//   0x40  ISR status (1 byte, read to clear)
//   0x44  notifications: one doorbell per queue, notify_off_multiplier apart
//         (multiplier 0: every queue rings the same doorbell)
//   0x80  device-specific configuration (up to 128 bytes)
//
// With MSI-X, its table and PBA go in a memory BAR on pages of their own (a driver may map
// them apart from the rest): from 0x1000 of that same BAR, or from 0 of a BAR 1 of their
// own when the structures are in an I/O BAR (the table must be in memory space).

export const COMMON_OFFSET = 0x00;
export const COMMON_LENGTH = 0x40;
export const ISR_OFFSET = 0x40;
export const ISR_LENGTH = 4;
export const NOTIFY_OFFSET = 0x44;
export const DEVICE_OFFSET = 0x80;
export const DEVICE_MAX_LENGTH = 0x80;

/** cfg_type values of struct virtio_pci_cap. */
export const CFG_COMMON = 1;
export const CFG_NOTIFY = 2;
export const CFG_ISR = 3;
export const CFG_DEVICE = 4;
export const CFG_PCI = 5;

export const CAP_VENDOR_SPECIFIC = 0x09;

/** Bytes of struct virtio_pci_cap after cap_vndr and cap_next. */
const CAP_BODY = 14;

/**
 * The body of a virtio_pci_cap (everything after the ID and next pointer): cap_len,
 * cfg_type, bar, id, padding, offset, length, then `extra` (notify multiplier, or the
 * pci_cfg_data window).
 */
export function virtioCapBody(cfgType: number, bar: number, offset: number, length: number, extra: number[] = []): number[] {
  const body = new Array<number>(CAP_BODY + extra.length).fill(0);
  body[0] = 2 + CAP_BODY + extra.length; // cap_len counts the whole structure
  body[1] = cfgType;
  body[2] = bar;
  le32(body, 6, offset);
  le32(body, 10, length);
  extra.forEach((b, i) => (body[CAP_BODY + i] = b));
  return body;
}

export function le32(bytes: number[], at: number, value: number): void {
  for (let i = 0; i < 4; i++) bytes[at + i] = (value >>> (8 * i)) & 0xff;
}

/** Where the fields of the PCI-configuration-access capability sit (from its ID byte). */
export const PCI_CFG_CAP = {
  bar: 4,
  offset: 8,
  length: 12,
  data: 16,
  /** The capability's total length. */
  size: 20,
} as const;

/** Bytes the notification region needs: one doorbell, or one per queue. */
export function notifyLength(numQueues: number, multiplier: number): number {
  return multiplier === 0 ? 2 : Math.max(2, numQueues * multiplier);
}

/** The first page of the MSI-X table when it shares the memory BAR with the structures. */
export const MSIX_SHARED_BAR_OFFSET = 0x1000;
const PAGE = 0x1000;

/** Table and PBA offsets: the table from `start`, the PBA on the first page after it. */
export function msixOffsets(start: number, tableBytes: number): { tableOffset: number; pbaOffset: number } {
  return { tableOffset: start, pbaOffset: start + Math.ceil(tableBytes / PAGE) * PAGE };
}
