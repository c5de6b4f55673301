// Offsets and bits of the type-0 PCI configuration header (PCI Local Bus spec 3.0, 6.1),
// named once so the other files read like the spec.

export const CONFIG_SPACE_SIZE = 256;

export const VENDOR_ID = 0x00;
export const DEVICE_ID = 0x02;
export const COMMAND = 0x04;
export const STATUS = 0x06;
export const REVISION_ID = 0x08;
/** Programming interface (0x09), subclass (0x0A), base class (0x0B): 24 bits from 0x09. */
export const CLASS_CODE = 0x09;
export const CACHE_LINE_SIZE = 0x0c;
export const HEADER_TYPE = 0x0e;
export const BAR0 = 0x10;
export const BAR_COUNT = 6;
export const SUBSYSTEM_VENDOR_ID = 0x2c;
export const SUBSYSTEM_ID = 0x2e;
export const CAPABILITIES_POINTER = 0x34;
export const INTERRUPT_LINE = 0x3c;
export const INTERRUPT_PIN = 0x3d;
/** First byte after the standard header: capabilities live from here to 0xFF. */
export const HEADER_END = 0x40;

export const COMMAND_IO = 1 << 0;
export const COMMAND_MEMORY = 1 << 1;
export const COMMAND_BUS_MASTER = 1 << 2;
export const COMMAND_PARITY_ERROR_RESPONSE = 1 << 6;
export const COMMAND_SERR = 1 << 8;
export const COMMAND_INTX_DISABLE = 1 << 10;

export const STATUS_INTERRUPT = 1 << 3;
export const STATUS_CAPABILITIES_LIST = 1 << 4;
/** Error bits software clears by writing 1 to them. */
export const STATUS_W1C =
  (1 << 8) | // master data parity error
  (1 << 11) | // signalled target abort
  (1 << 12) | // received target abort
  (1 << 13) | // received master abort
  (1 << 14) | // signalled system error
  (1 << 15); // detected parity error

export function barOffset(index: number): number {
  return BAR0 + 4 * index;
}
