// Turns the moments a boot reached each phase into the durations the report shows.
import type { BootPhase } from "../src/machine/boot-phases.js";

/** Durations in ms. kernelInit and userspace need the guest's own /init timestamp. */
export interface BootBreakdown {
  total: number;
  loading: number;
  firmware: number;
  decompress: number;
  kernelAndUserspace: number;
  kernelInit?: number;
  userspace?: number;
  /**
   * A disk boot's share of `firmware` spent in its boot loader: from the loader's first
   * line on the serial port (syslinux's banner) to the kernel's decompressor.
   */
  bootLoader?: number;
  /** Not a boot phase: the guest's dd throughput once booted (see guest-workloads.ts). */
  ddMiBps?: number;
}

export function breakdown(at: Partial<Record<BootPhase, number>>, guestInitMs?: number): BootBreakdown {
  const need = (p: BootPhase): number => {
    const v = at[p];
    if (v === undefined) throw new Error(`the boot never reached phase "${p}"`);
    return v;
  };
  const result: BootBreakdown = {
    total: need("shell"),
    loading: need("firmware") - need("loading"),
    firmware: need("decompress") - need("firmware"),
    decompress: need("kernel") - need("decompress"),
    kernelAndUserspace: need("shell") - need("kernel"),
  };
  if (guestInitMs !== undefined) {
    // The guest's clock starts about when the kernel does: "Run /init" at t seconds of
    // guest time splits the host-measured kernel+userspace span in two.
    result.kernelInit = guestInitMs;
    result.userspace = result.kernelAndUserspace - guestInitMs;
  }
  return result;
}

/**
 * The kernel log line "[    1.387140] Run /init as init process" as milliseconds (or
 * "Run /sbin/init": a kernel with its root filesystem on a disk runs that).
 */
export function parseRunInit(dmesg: string): number | undefined {
  const m = /\[\s*(\d+\.\d+)\] Run \/\S* as init process/.exec(dmesg);
  return m ? Number(m[1]) * 1000 : undefined;
}
