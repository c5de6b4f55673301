// Console output throughput: ours (hvc0, the shell's terminal) against v86's own
// virtio-console (its first port, a second hvc) in the same machine. The guest cats one
// tmpfs file of base64 text to each in turn, timed by busybox `time` in the guest; the
// host checks every byte arrived (length and sha256) and counts, for ours, kicks and
// interrupts on the transmit queue. Both consoles go through the same guest driver
// (virtio_console's hvc backend, which sends one buffer and spins until it comes back),
// with the same termios, so what differs is the device and its transport.
import { createHash } from "node:crypto";
import { MiB, T, type DeviceMachine } from "./device-machine.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { lineOf, type IrqLine } from "./proc-interrupts.js";

const FILE = "/tmp/console-bench.txt";
const TIME_FILE = "/tmp/console-bench.time";
/** The session shell's descriptor for v86's console, kept open so its termios stick. */
const V86_FD = 3;
const TRANSMITQ = 1;

export interface ConsoleFile {
  bytes: number;
  sha256: string;
}

export interface ConsoleRun {
  mibPerS: number;
  kicksPerMiB: number | null;
  irqsPerMiB: number | null;
  /** Interrupts the guest took on the device's IRQ line per MiB (/proc/interrupts), or null if the line is shared. */
  guestIrqsPerMiB: number | null;
  /** Why irqsPerMiB or guestIrqsPerMiB is null. */
  note?: string;
}

const sha256 = (chunks: Iterable<Uint8Array | string>) => {
  const h = createHash("sha256");
  for (const c of chunks) h.update(typeof c === "string" ? Buffer.from(c, "latin1") : c);
  return h.digest("hex");
};

/** Writes the file the runs send: `mib` MiB from /dev/urandom as base64 lines (~1.35x bigger). */
export async function prepareConsoleFile(m: DeviceMachine, mib: number): Promise<ConsoleFile> {
  await m.sh(`dd if=/dev/urandom bs=${MiB} count=${mib} 2>/dev/null | base64 > ${FILE}`);
  const bytes = Number((await m.sh(`wc -c < ${FILE}`)).trim());
  const sum = (await m.sh(`sha256sum ${FILE}`)).split(" ")[0]!;
  return { bytes, sha256: sum };
}

/**
 * Finds the hvc node that reaches v86's console (by writing a probe and seeing which
 * one v86 reports), opens it on the session shell's descriptor 3 and gives it hvc0's
 * termios. Returns the node, e.g. "/dev/hvc1".
 */
export async function openV86Console(m: DeviceMachine): Promise<string> {
  m.takeV86Output();
  for (let n = 1; n < 8; n++) {
    const node = `/dev/hvc${n}`;
    const probe = `ringside-probe-${n}`;
    // Writing to an hvc with no backend fails; that is just "not this one".
    await m.vm.shell.run(`printf '${probe}' > ${node} 2>/dev/null`, T);
    const got = Buffer.concat(m.takeV86Output()).toString("latin1");
    if (!got.includes(probe)) continue;
    // hvc resets a port's termios on its last close: hold it open for the whole session.
    await m.sh(`exec ${V86_FD}<>${node}`);
    await m.sh(`stty $(stty -g </dev/hvc0) <&${V86_FD}`);
    const [ours, theirs] = [await m.sh("stty -g </dev/hvc0"), await m.sh(`stty -g <&${V86_FD}`)];
    if (ours !== theirs) throw new Error(`${node} did not take hvc0's termios: ${theirs.trim()} vs ${ours.trim()}`);
    return node;
  }
  throw new Error("no /dev/hvcN reaches v86's virtio-console");
}

async function timeTaken(m: DeviceMachine): Promise<number> {
  const report = await m.sh(`cat ${TIME_FILE}`);
  const seconds = parseRealSeconds(report);
  if (seconds === undefined || seconds <= 0) throw new Error(`no usable time in: ${report}`);
  return seconds;
}

/**
 * Interrupts on `name`'s IRQ line between two /proc/interrupts reads, if they can only
 * be its own: the line is unshared, or shared only with our devices that (by our own
 * counters over a window enclosing both reads) raised nothing meanwhile.
 */
function lineDelta(
  name: string,
  before: IrqLine[],
  after: IrqLine[],
  ourRaised: Map<string, number>,
): { count: number } | { note: string } {
  const a = lineOf(before, name);
  const b = lineOf(after, name);
  if (!a || !b || a.irq !== b.irq) return { note: `${name} is not in /proc/interrupts` };
  const others = b.names.filter((n) => n !== name);
  for (const other of others) {
    const raised = ourRaised.get(other);
    if (raised === undefined) return { note: `IRQ ${b.irq} is shared with ${other}, which is not ours` };
    if (raised > 0) return { note: `IRQ ${b.irq} is shared with our ${other}, which raised ${raised} interrupts meanwhile` };
  }
  return { count: b.count - a.count };
}

const diff = (a: Map<string, number>, b: Map<string, number>) =>
  new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)]));

/** One timed cat of the file to our console (hvc0, the session's own terminal). */
export async function runOurConsole(m: DeviceMachine, file: ConsoleFile): Promise<ConsoleRun> {
  const raised0 = m.ourInterruptsByName();
  const irq0 = await m.procInterrupts();
  const tx0 = m.counters("virtio-console", TRANSMITQ);
  // The bytes come back as this command's output: the session frames it.
  const { output, status } = await m.vm.shell.run(`time cat ${FILE} >/dev/hvc0 2>${TIME_FILE}`, T);
  const tx1 = m.counters("virtio-console", TRANSMITQ);
  const irq1 = await m.procInterrupts();
  const raised1 = m.ourInterruptsByName();
  if (status !== 0) throw new Error(`cat to hvc0 failed with status ${status}`);
  if (output.length !== file.bytes) throw new Error(`our console delivered ${output.length} bytes of ${file.bytes}`);
  if (sha256([output]) !== file.sha256) throw new Error("our console delivered the right length but wrong bytes (sha256)");
  const mib = file.bytes / MiB;
  const line = lineDelta(m.virtioNames.ourConsole, irq0, irq1, diff(raised0, raised1));
  return {
    mibPerS: mib / (await timeTaken(m)),
    kicksPerMiB: (tx1.kicks - tx0.kicks) / mib,
    irqsPerMiB: (tx1.interrupts - tx0.interrupts) / mib,
    // The whole device, both queues, and the framing commands around the cat: a cross-check.
    guestIrqsPerMiB: "count" in line ? line.count / mib : null,
    ...("note" in line ? { note: line.note } : {}),
  };
}

/** One timed cat of the file to v86's console (through the descriptor openV86Console set up). */
export async function runV86Console(m: DeviceMachine, file: ConsoleFile): Promise<ConsoleRun> {
  m.takeV86Output();
  const raised0 = m.ourInterruptsByName();
  const irq0 = await m.procInterrupts();
  await m.sh(`time cat ${FILE} >&${V86_FD} 2>${TIME_FILE}`);
  const irq1 = await m.procInterrupts();
  const raised1 = m.ourInterruptsByName();
  const got = m.takeV86Output();
  const bytes = got.reduce((n, c) => n + c.length, 0);
  if (bytes !== file.bytes) throw new Error(`v86's console delivered ${bytes} bytes of ${file.bytes}`);
  if (sha256(got) !== file.sha256) throw new Error("v86's console delivered the right length but wrong bytes (sha256)");
  const mib = file.bytes / MiB;
  const line = lineDelta(m.virtioNames.v86Console, irq0, irq1, diff(raised0, raised1));
  const irqs = "count" in line ? line.count / mib : null;
  return {
    mibPerS: mib / (await timeTaken(m)),
    kicksPerMiB: null,
    irqsPerMiB: irqs,
    guestIrqsPerMiB: irqs,
    note: "count" in line ? "kicks: v86 keeps no counters" : `kicks: v86 keeps no counters; interrupts: ${line.note}`,
  };
}
