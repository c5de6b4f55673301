// What a user may choose about the machine, with the defaults and the checks that turn a
// bad choice into a clear message instead of a confusing boot failure.

export interface MachineOptions {
  /** Guest RAM in MiB. v86 puts the initrd at 64 MiB, so less than 128 cannot boot. */
  memoryMiB: number;
  /** Kernel command line. */
  cmdline: string;
}

export const MIN_MEMORY_MIB = 128;
export const MAX_MEMORY_MIB = 2048;

/**
 * console=ttyS0: kernel messages and the shell on the serial port.
 * earlyprintk=serial: the decompressor's "Decompressing Linux... Booting the kernel."
 *   lines, which the boot-progress display and the benchmark's phase breakdown use.
 * quiet: no kernel log on the console during boot (each byte costs an emulated port write).
 * tsc_early_khz / lpj: skip the TSC and delay-loop calibrations, which take hundreds of
 *   milliseconds under emulation.
 */
export const DEFAULT_CMDLINE = "console=ttyS0 loglevel=3 earlyprintk=serial";

export const DEFAULT_OPTIONS: MachineOptions = {
  memoryMiB: 256,
  cmdline: DEFAULT_CMDLINE,
};

export class OptionError extends Error {
  override name = "OptionError";
}

export function validateOptions(options: MachineOptions): MachineOptions {
  const { memoryMiB, cmdline } = options;
  if (!Number.isInteger(memoryMiB) || memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
    throw new OptionError(
      `memory must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB} (got ${String(memoryMiB)}); ` +
        `v86 loads the initrd at 64 MiB, so the guest needs at least ${MIN_MEMORY_MIB}`,
    );
  }
  // The boot protocol gives the command line 2048 bytes including the terminating NUL.
  if (new TextEncoder().encode(cmdline).length > 2047) {
    throw new OptionError("the kernel command line is longer than 2047 bytes");
  }
  if (/[\0\n\r]/.test(cmdline)) {
    throw new OptionError("the kernel command line must be one line without NUL characters");
  }
  return options;
}
