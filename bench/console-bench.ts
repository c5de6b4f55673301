// Console output throughput: ours (hvc0, the shell's terminal) against v86's own
// virtio-console (its first port, a second hvc) in the same machine. The guest cats a
// tmpfs file of base64 text to each in turn, timed by busybox `time` in the guest; the
// host checks every byte arrived (length and sha256) and counts, for ours, kicks and
// interrupts on the transmit queue. Both consoles go through the same guest driver
// (virtio_console's hvc backend, which sends one buffer and spins until it comes back),
// with the same termios during the timed cat, so what differs is the device and its transport.
//
// Three terminal modes (CONSOLE_MODES). "cooked" is a terminal's own output processing
// (opost onlcr: what a fresh tty and `stty sane` have, and what the page's terminal and the
// CLI get): each newline goes out as CR LF, which the tty layer writes to the driver on its
// own, so a line of text costs two kicks. "cooked-lf" keeps opost but leaves newlines alone
// (-onlcr, the Node shell session's setting for its framing, which issue 19's earlier rounds
// measured as "cooked"): the tty layer still looks at every byte, and writes 2 KiB per kick,
// so the guest's per-byte work is most of the time whatever the device does. "raw" (-opost)
// hands the tty's buffers straight to the driver: the same kicks per MiB as cooked-lf, and
// the device's share of the time shows.
import { createHash } from "node:crypto";
import { asFileBytes, sentBytes } from "./console-newlines.js";
import { MiB, T, type DeviceMachine } from "./device-machine.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { lineOf, type IrqLine } from "./proc-interrupts.js";

const FILE = "/tmp/console-bench.txt";
const TIME_FILE = "/tmp/console-bench.time";
/** The session shell's descriptor for v86's console, kept open so its termios stick. */
const V86_FD = 3;
const TRANSMITQ = 1;

export type ConsoleMode = "raw" | "cooked" | "cooked-lf";

/** Each mode's output flags (stty), set on both consoles for the timed cat. */
export const CONSOLE_MODES: Record<ConsoleMode, string> = { raw: "-opost", cooked: "opost onlcr", "cooked-lf": "opost -onlcr" };

export interface ConsoleFile {
  bytes: number;
  /** Newlines in the file: a cooked terminal sends each as CR LF. */
  lines: number;
  sha256: string;
}

export interface ConsoleRun {
  mibPerS: number;
  kicksPerMiB: number | null;
  irqsPerMiB: number | null;
  /** Interrupts the guest took on the device's IRQ line per MiB (/proc/interrupts), or null if a device not ours shares it. */
  guestIrqsPerMiB: number | null;
  /** Why guestIrqsPerMiB (and for v86's, irqsPerMiB) is null. */
  note?: string;
  /** How guestIrqsPerMiB was read, when it was. */
  line?: LineReading;
}

/** True if `chunks` are `copies` back-to-back copies of `file` (length and sha256). */
export function isCopiesOf(chunks: readonly Uint8Array[], file: ConsoleFile, copies: number): boolean {
  if (chunks.reduce((n, c) => n + c.length, 0) !== file.bytes * copies) return false;
  let hash = createHash("sha256");
  let inSegment = 0;
  for (let chunk of chunks) {
    while (chunk.length > 0) {
      const take = Math.min(chunk.length, file.bytes - inSegment);
      hash.update(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      inSegment += take;
      if (inSegment === file.bytes) {
        if (hash.digest("hex") !== file.sha256) return false;
        hash = createHash("sha256");
        inSegment = 0;
      }
    }
  }
  return true;
}

/**
 * Writes the file the runs send: one MiB from /dev/urandom as base64 lines (76 characters
 * and a newline, 1.35 MiB), `copies` times over. Generating all of it from urandom would
 * cost the guest seconds of base64 for nothing a console can tell apart.
 */
export async function prepareConsoleFile(m: DeviceMachine, copies: number): Promise<ConsoleFile> {
  await m.sh(`dd if=/dev/urandom bs=${MiB} count=1 2>/dev/null | base64 > ${FILE}.1`);
  await m.sh(`for i in $(seq ${copies}); do cat ${FILE}.1; done > ${FILE} && rm ${FILE}.1`);
  const bytes = Number((await m.sh(`wc -c < ${FILE}`)).trim());
  const lines = Number((await m.sh(`wc -l < ${FILE}`)).trim());
  const sum = (await m.sh(`sha256sum ${FILE}`)).split(" ")[0]!;
  return { bytes, lines, sha256: sum };
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

/**
 * Sets v86's console's output processing for the runs that follow. Ours, hvc0, is also the
 * shell session's terminal, whose framing needs -onlcr: runOurConsole gives it the mode's
 * flags for the timed cat only, so both consoles have them while the bytes go out.
 */
export async function setConsoleMode(m: DeviceMachine, mode: ConsoleMode): Promise<void> {
  await m.sh(`stty ${CONSOLE_MODES[mode]} <&${V86_FD}`);
}

/** Whether `chunks` are `copies` copies of the file as `mode` sends them (length, then sha256). */
function deliveredCopies(chunks: readonly Uint8Array[], file: ConsoleFile, copies: number, mode: ConsoleMode): boolean {
  const asFile = asFileBytes(chunks, mode);
  return asFile !== null && isCopiesOf(asFile, file, copies);
}

async function timeTaken(m: DeviceMachine): Promise<number> {
  const report = await m.sh(`cat ${TIME_FILE}`);
  const seconds = parseRealSeconds(report);
  if (seconds === undefined || seconds <= 0) throw new Error(`no usable time in: ${report}`);
  return seconds;
}

/** How a device's interrupts were read from /proc/interrupts. */
export interface LineReading {
  irq: number;
  /** Our devices sharing the line, by guest name. */
  sharers: string[];
  /** Interrupts our sharers raised during the run, taken off the line's count. */
  subtracted: number;
}

/**
 * Interrupts on `name`'s IRQ line between two /proc/interrupts reads, counted as its own
 * when the line is unshared or shared only with our devices; then what our sharers
 * raised meanwhile (our counters, over a window enclosing both reads) is taken off. That
 * is exact unless one of ours and the device were pending at the same moment (then the
 * guest took one interrupt for both and the figure is low by at most `subtracted`).
 */
function lineDelta(
  name: string,
  before: IrqLine[],
  after: IrqLine[],
  ourRaised: Map<string, number>,
): { count: number; reading: LineReading } | { note: string } {
  const a = lineOf(before, name);
  const b = lineOf(after, name);
  if (!a || !b || a.irq !== b.irq) return { note: `${name} is not in /proc/interrupts` };
  const sharers = b.names.filter((n) => n !== name);
  let subtracted = 0;
  for (const other of sharers) {
    const raised = ourRaised.get(other);
    if (raised === undefined) return { note: `IRQ ${b.irq} is shared with ${other}, which is not ours` };
    subtracted += raised;
  }
  return { count: b.count - a.count - subtracted, reading: { irq: b.irq, sharers, subtracted } };
}

const diff = (a: Map<string, number>, b: Map<string, number>) =>
  new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)]));

const catCommand = (copies: number) => `cat${` ${FILE}`.repeat(copies)}`;

/**
 * One timed cat of `copies` copies of the file to our console (hvc0, the session's own
 * terminal). The tap takes the bytes off the session's path: see device-machine.ts.
 */
export async function runOurConsole(m: DeviceMachine, file: ConsoleFile, copies: number, mode: ConsoleMode): Promise<ConsoleRun> {
  const raised0 = m.ourInterruptsByName();
  const irq0 = await m.procInterrupts();
  const tx0 = m.counters("virtio-console", TRANSMITQ);
  m.tap.divertNext();
  // The mode's flags for the cat, then the session's own again (opost -onlcr); in a
  // subshell, so that its exit leaves the session's shell alone.
  const command = `(stty ${CONSOLE_MODES[mode]} </dev/hvc0; time ${catCommand(copies)} >/dev/hvc0 2>${TIME_FILE}; ` +
    `s=$?; stty opost -onlcr </dev/hvc0; exit $s)`;
  const { output, status } = await m.vm.shell.run(command, T);
  const tx1 = m.counters("virtio-console", TRANSMITQ);
  const got = m.tap.diverted();
  const irq1 = await m.procInterrupts();
  const raised1 = m.ourInterruptsByName();
  if (status !== 0 || output !== "") throw new Error(`cat to hvc0 failed with status ${status}: ${output.slice(0, 200)}`);
  const expected = sentBytes(file, copies, mode);
  if (got.bytes !== expected) throw new Error(`our console delivered ${got.bytes} bytes of ${expected}`);
  if (!deliveredCopies(got.chunks, file, copies, mode)) throw new Error("our console delivered the right length but wrong bytes (sha256)");
  const mib = (file.bytes * copies) / MiB;
  const line = lineDelta(m.virtioNames.ourConsole, irq0, irq1, diff(raised0, raised1));
  return {
    mibPerS: mib / (await timeTaken(m)),
    kicksPerMiB: (tx1.kicks - tx0.kicks) / mib,
    irqsPerMiB: (tx1.interrupts - tx0.interrupts) / mib,
    // The whole device, both queues, and the framing commands around the cat: a cross-check.
    guestIrqsPerMiB: "count" in line ? line.count / mib : null,
    ...("note" in line ? { note: line.note } : { line: line.reading }),
  };
}

/** Likewise to v86's console (through the descriptor openV86Console set up). */
export async function runV86Console(m: DeviceMachine, file: ConsoleFile, copies: number, mode: ConsoleMode): Promise<ConsoleRun> {
  m.takeV86Output();
  const raised0 = m.ourInterruptsByName();
  const irq0 = await m.procInterrupts();
  await m.sh(`time ${catCommand(copies)} >&${V86_FD} 2>${TIME_FILE}`);
  const irq1 = await m.procInterrupts();
  const raised1 = m.ourInterruptsByName();
  const got = m.takeV86Output();
  const bytes = got.reduce((n, c) => n + c.length, 0);
  // Hashed now, after the timed command: while the guest wrote, the host only kept the bytes.
  const expected = sentBytes(file, copies, mode);
  if (bytes !== expected) throw new Error(`v86's console delivered ${bytes} bytes of ${expected}`);
  if (!deliveredCopies(got, file, copies, mode)) throw new Error("v86's console delivered the right length but wrong bytes (sha256)");
  const mib = (file.bytes * copies) / MiB;
  const line = lineDelta(m.virtioNames.v86Console, irq0, irq1, diff(raised0, raised1));
  const irqs = "count" in line ? line.count / mib : null;
  return {
    mibPerS: mib / (await timeTaken(m)),
    kicksPerMiB: null,
    irqsPerMiB: irqs,
    guestIrqsPerMiB: irqs,
    ...("note" in line ? { note: line.note } : { line: line.reading }),
  };
}
