// What a machine description may say: the bounds every producer (CLI, page, share links,
// saved states) is held to by the one parser.

/** v86 puts the initrd at 64 MiB, so less than 128 cannot boot. */
export const MIN_MEMORY_MIB = 128;
export const MAX_MEMORY_MIB = 2048;

/**
 * console=ttyS0: kernel messages (and the shell when there is no virtio console) on the
 *   serial port.
 * loglevel=3: no kernel log on the console during boot (each byte costs an emulated port write).
 * earlyprintk=serial: the decompressor's "Decompressing Linux... Booting the kernel."
 *   lines, which the boot-progress display and the benchmark's phase breakdown use.
 */
export const DEFAULT_CMDLINE = "console=ttyS0 loglevel=3 earlyprintk=serial";
export const DEFAULT_MEMORY_MIB = 256;

/** The boot protocol gives the command line 2048 bytes including the terminating NUL. */
export const MAX_CMDLINE_BYTES = 2047;
/** Devices in one description (bus 0 has 32 slots, a few of them v86's). */
export const MAX_DEVICES = 24;
/** Disk sizes, MiB. */
export const MAX_DISK_MIB = 65536;
/** Queue sizes a description may ask for (powers of two). */
export const MIN_QUEUE_SIZE = 2;
export const MAX_QUEUE_SIZE = 1024;
/** Queues each device type has (console: receive and transmit; net: rx, tx and control). */
export const QUEUE_COUNT = {
  "virtio-console": 2, "virtio-rng": 1, "virtio-blk": 1, "virtio-net": 3, "virtio-9p": 1, "virtio-balloon": 4,
} as const;
/** A virtio-mmio device's register window, bytes (virtio 1.2, 4.2.2: registers up to 0x100, config after). */
export const MMIO_WINDOW_BYTES = 0x200;
/**
 * Where virtio-mmio windows may be placed: above RAM's largest size, below v86's
 * framebuffer (0xe0000000) and the PCI BARs SeaBIOS assigns above it.
 */
export const MMIO_BASE_MIN = 0xc0000000;
export const MMIO_BASE_MAX = 0xdffffe00;
/** Interrupt lines a virtio-mmio device may raise (the PIC's and IOAPIC's ISA range). */
export const MMIO_IRQ_MIN = 1;
export const MMIO_IRQ_MAX = 15;
