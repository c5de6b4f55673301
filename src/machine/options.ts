// What a user may choose about the machine, with the defaults and the checks that turn a
// bad choice into a clear message instead of a confusing boot failure.

export interface MachineOptions {
  /** Guest RAM in MiB. v86 puts the initrd at 64 MiB, so less than 128 cannot boot. */
  memoryMiB: number;
  /** Kernel command line. */
  cmdline: string;
}

export { MAX_MEMORY_MIB, MIN_MEMORY_MIB, DEFAULT_CMDLINE } from "../description/limits.js";
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../description/limits.js";

export const DEFAULT_OPTIONS: MachineOptions = {
  memoryMiB: DEFAULT_MEMORY_MIB,
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
