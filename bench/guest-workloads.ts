// A steady CPU-bound guest workload, for comparing where the machine runs: boot time mixes
// in loading and JIT warm-up, while a long dd is just the guest executing. It is also the
// guest's memory bandwidth, the ceiling for any device's throughput in later benchmarks.
export const DD_MIB = 1000;

/**
 * busybox `time` reports wall time as measured by the guest's clock (which follows the
 * host's). The tag lets a reader of a terminal screen tell this run's result from an
 * earlier one still on screen.
 */
export function ddCommand(tag: string): string {
  return `echo dd-${tag}; time sh -c 'dd if=/dev/zero of=/dev/null bs=64k count=${DD_MIB * 16} 2>/dev/null'`;
}

/** Matches the output of ddCommand(tag): the tag line, then busybox time's "real" line. */
export function ddResultPattern(tag: string): RegExp {
  return new RegExp(`^dd-${tag}\\n(?:.*\\n)*?real\\s+(\\d+)m ([\\d.]+)s`, "m");
}

/** MiB/s from the output of ddCommand(tag). */
export function parseDdMiBps(output: string, tag: string): number | undefined {
  const m = ddResultPattern(tag).exec(output);
  const seconds = m ? parseRealSeconds(m[0]) : undefined;
  return seconds !== undefined && seconds > 0 ? DD_MIB / seconds : undefined;
}

/** Seconds of wall time from busybox `time`'s "real" line ("real\t0m 1.23s"), if present. */
export function parseRealSeconds(timeOutput: string): number | undefined {
  const m = /^real\s+(\d+)m ([\d.]+)s/m.exec(timeOutput);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}
