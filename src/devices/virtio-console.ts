// virtio-console (spec 5.3) with one port and VIRTIO_CONSOLE_F_SIZE: the guest's hvc0.
// Queue 0 (receiveq) carries keyboard input to the guest, queue 1 (transmitq) the guest's
// output. Input that arrives while the guest has no receive buffers posted waits here
// until it posts some: nothing typed or pasted is ever dropped.
//
// Output is bounded twice: a transmit buffer larger than CONSOLE_TX_CHAIN_BYTES has only
// its first bytes written out, and while the sink says it is behind (a terminal still
// drawing, a pipe not read) transmit buffers stay in the ring until it catches up, so a
// guest can never make the host hold more of its output than the sink allows.
//
// Transmit interrupts are moderated when the machine gives the console its tick: Linux's
// hvc spins until its buffer comes back and never waits for the interrupt, so the used
// buffers of a kick are signalled at the end of the slice (the next tick), one decision
// for every buffer used meanwhile, and that decision honours used_event: a driver that
// has already taken them all (what hvc does) asked for no interrupt, and gets none.
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import type { PollSource } from "../virtio/poll-source.js";
import { DeferredWork } from "../virtio/deferred-work.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import type { DeviceInfo } from "../virtio/device-info.js";
import type { ChainReader } from "../virtio/queue-types.js";

export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_CONSOLE_F_SIZE = 1n << 0n;

const RECEIVEQ = 0;
const TRANSMITQ = 1;
/** cols u16, rows u16, max_nr_ports u32, emerg_wr u32. */
const CONFIG_SIZE = 12;

/** What the console says about itself (spec 5.3): the spec's names for its bits, fields and queues. */
export const CONSOLE_INFO: DeviceInfo = {
  id: VIRTIO_ID_CONSOLE,
  name: "virtio-console",
  kind: "communication",
  featureNames: [[0, "CONSOLE_F_SIZE"], [1, "CONSOLE_F_MULTIPORT"], [2, "CONSOLE_F_EMERG_WRITE"]],
  configSize: CONFIG_SIZE,
  config: [
    { name: "cols", offset: 0, size: 2, format: "number", about: "terminal width (with CONSOLE_F_SIZE)" },
    { name: "rows", offset: 2, size: 2, format: "number", about: "terminal height (with CONSOLE_F_SIZE)" },
    { name: "max_nr_ports", offset: 4, size: 4, format: "number", about: "ports (with CONSOLE_F_MULTIPORT)" },
    { name: "emerg_wr", offset: 8, size: 4, format: "hex", about: "emergency write (with CONSOLE_F_EMERG_WRITE)" },
  ],
  queueNames: ["receiveq", "transmitq"],
};

/** Live figures of the console. */
export type ConsoleStats = {
  cols: number;
  rows: number;
  /** Typed bytes waiting for the guest to post receive buffers. */
  pendingInputBytes: number;
  /** Bytes the guest wrote out, and transmit chains cut at CONSOLE_TX_CHAIN_BYTES. */
  outputBytes: number;
  truncatedChains: number;
  /** Times the console left transmit buffers in the ring because its consumer was behind. */
  heldBack: number;
};

/** Typed input waiting for the guest that a snapshot keeps (a paste can be large, but not this large). */
const MAX_SAVED_INPUT_BYTES = 16 * 1024 * 1024;
/**
 * The most of one transmit buffer that is written out. Linux's hvc sends at most a page
 * per buffer, and a port write at most 32 KiB; anything longer is cut here with a log line.
 */
export const CONSOLE_TX_CHAIN_BYTES = 65536;

/** What the guest's output is copied out of: a transmit chain's reader (only its readInto). */
export type ByteSource = Pick<ChainReader, "readInto">;

/** Where the guest's output goes. */
export interface ConsoleSink {
  /**
   * `length` bytes the guest wrote (at most CONSOLE_TX_CHAIN_BYTES at a time), which the
   * sink copies out of `source` straight into wherever it keeps them: one copy per byte
   * and no array per buffer, on the path every kick takes.
   */
  writeFrom(source: ByteSource, length: number): void;
  /**
   * False while the consumer is behind: the device then leaves transmit buffers in the
   * ring, and the owner calls VirtioConsole.outputReady() once the sink catches up.
   */
  readonly ready: boolean;
}

/** A sink that is never behind (tests, and consumers that take bytes as they come): each write in an array of its own. */
export function immediateSink(write: (bytes: Uint8Array) => void): ConsoleSink {
  return {
    writeFrom(source, length) {
      const bytes = new Uint8Array(length);
      write(bytes.subarray(0, source.readInto(bytes)));
    },
    ready: true,
  };
}

export class VirtioConsole implements VirtioDevice {
  readonly info = CONSOLE_INFO;
  readonly queueMaxSizes: readonly number[];
  readonly features = VIRTIO_CONSOLE_F_SIZE;
  private outputBytes = 0;
  private truncatedChains = 0;
  private heldBack = 0;

  private ctx: DeviceContext | undefined;
  /** The driver has been told the size since it last came up. */
  private sizeAnnounced = false;
  private cols = 80;
  private rows = 25;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  /** `output` receives everything the guest writes to hvc0 (a plain function never holds it back). */
  private readonly output: ConsoleSink;
  /** With a tick: the transmit queue's interrupt decision, taken at the next tick (see the header). */
  private readonly txSignal: DeferredWork | undefined;

  /**
   * `queueSizes`: the receive and transmit queues' maximum sizes (default 256 each).
   * `ticks`: the machine's per-slice tick; with it, transmit interrupts wait for the tick
   * (without it, as in unit tests, every drain signals at once).
   */
  constructor(output: ConsoleSink | ((bytes: Uint8Array) => void), queueSizes: readonly [number, number] = [256, 256], ticks?: PollSource) {
    this.output = typeof output === "function" ? immediateSink(output) : output;
    this.queueMaxSizes = [...queueSizes];
    this.txSignal = ticks && new DeferredWork(ticks, () => this.ctx?.guard(() => this.ctx?.signalUsed(TRANSMITQ)));
  }

  /** The sink caught up after saying it was behind: carry on with the guest's output. */
  outputReady(): void {
    this.ctx?.guard(() => this.drainOutput());
  }

  /** Bytes typed or pasted by the user, for the guest. */
  input(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes.slice());
    this.pendingBytes += bytes.length;
    this.ctx?.guard(() => this.deliverInput());
  }

  /** The terminal's size changed: the guest sees it through the config space (stty size). */
  resize(cols: number, rows: number): void {
    const c = Math.max(1, Math.min(0xffff, Math.floor(cols)));
    const r = Math.max(1, Math.min(0xffff, Math.floor(rows)));
    if (c === this.cols && r === this.rows) return;
    this.cols = c;
    this.rows = r;
    this.ctx?.configChanged();
  }

  stats(): ConsoleStats {
    return {
      cols: this.cols, rows: this.rows, pendingInputBytes: this.pendingBytes,
      outputBytes: this.outputBytes, truncatedChains: this.truncatedChains, heldBack: this.heldBack,
    };
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    const config = new DataView(new ArrayBuffer(CONFIG_SIZE));
    config.setUint16(0, this.cols, true);
    config.setUint16(2, this.rows, true);
    config.setUint32(4, 1, true); // max_nr_ports: only meaningful with MULTIPORT
    if (size === 1) return config.getUint8(offset);
    if (size === 2) return config.getUint16(offset, true);
    return config.getUint32(offset, true);
  }

  writeConfig(): void {
    // emerg_wr is only defined with VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered.
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.sizeAnnounced = false;
    this.drainOutput();
    this.deliverInput();
  }

  notify(index: number): void {
    if (index === RECEIVEQ) {
      // Linux reads cols/rows only on a config-change interrupt, and only once its console
      // port exists, which is when it posts receive buffers: announce the size then.
      if (!this.sizeAnnounced) {
        this.sizeAnnounced = true;
        this.ctx?.configChanged();
      }
      this.deliverInput();
    }
    else if (index === TRANSMITQ) this.drainOutput();
  }

  reset(): void {
    // Pending input stays: it was typed for whichever driver comes up next.
    this.ctx = undefined;
    this.txSignal?.stop();
  }

  saveState(): PlainData {
    const pending = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const chunk of this.pending) {
      pending.set(chunk, at);
      at += chunk.length;
    }
    return { cols: this.cols, rows: this.rows, pendingInput: pending };
  }

  restoreState(state: StateReader): void {
    const cols = state.field("cols").integer(1, 0xffff);
    const rows = state.field("rows").integer(1, 0xffff);
    const pending = state.field("pendingInput").bytes(MAX_SAVED_INPUT_BYTES);
    this.cols = cols;
    this.rows = rows;
    this.pending = pending.length > 0 ? [pending] : [];
    this.pendingBytes = pending.length;
    // A transmit interrupt waiting for its tick is not in the state: decide it again at the
    // first tick (it honours used_event, so a driver that asked for none gets none).
    this.txSignal?.schedule();
  }

  /**
   * Linux's hvc driver spins until its transmit buffer comes back, so output is consumed
   * right here, during the guest's notify write.
   */
  private drainOutput(): void {
    const ctx = this.ctx;
    const queue = ctx?.queue(TRANSMITQ);
    if (!ctx || !queue) return;
    let used = false;
    for (;;) {
      if (!this.output.ready) {
        this.heldBack++;
        break;
      }
      const chain = queue.pop();
      if (!chain) break;
      const reader = chain.reader();
      if (reader.remaining > CONSOLE_TX_CHAIN_BYTES) {
        this.truncatedChains++;
        ctx.log(`transmit chain of ${reader.remaining} bytes is longer than ${CONSOLE_TX_CHAIN_BYTES}: only the first ${CONSOLE_TX_CHAIN_BYTES} were written out`);
      }
      const length = Math.min(reader.remaining, CONSOLE_TX_CHAIN_BYTES);
      // Copied out before the buffer goes back to the driver, which may reuse it at once.
      if (length > 0) this.output.writeFrom(reader, length);
      queue.pushUsed(chain, 0);
      used = true;
      this.outputBytes += length;
    }
    if (!used) return;
    if (this.txSignal) this.txSignal.schedule();
    else ctx.signalUsed(TRANSMITQ);
  }

  private deliverInput(): void {
    const queue = this.ctx?.queue(RECEIVEQ);
    if (!this.ctx || !queue || this.pendingBytes === 0) return;
    let used = false;
    while (this.pendingBytes > 0) {
      const chain = queue.pop();
      if (!chain) break;
      const writer = chain.writer();
      while (writer.remaining > 0 && this.pending.length > 0) {
        const head = this.pending[0]!;
        const n = writer.write(head);
        this.pendingBytes -= n;
        if (n === head.length) this.pending.shift();
        else this.pending[0] = head.subarray(n);
      }
      queue.pushUsed(chain, writer.written);
      used = true;
    }
    if (used) this.ctx.signalUsed(RECEIVEQ);
  }
}
