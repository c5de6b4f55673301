// The virtio-net control queue (spec 5.1.6.5). Linux sends a command and then spins until
// the device answers, so commands are answered at once, inside the kick. There is no
// filtering to configure behind them (the backend sees every frame anyway), so the device
// records what the driver asked for, answers OK for what it offers, ERR for the rest.
//
// A command is: class u8, command u8, data (readable) | ack u8 (writable).
import type { DeviceContext } from "../virtio/virtio-device.js";
import type { VirtQueue } from "../virtio/queue-types.js";
import { LogBudget, NetProtocolError } from "./net-header.js";
import { formatMac } from "../util/mac-address.js";

export const VIRTIO_NET_CTRL_RX = 0;
export const VIRTIO_NET_CTRL_RX_PROMISC = 0;
export const VIRTIO_NET_CTRL_RX_ALLMULTI = 1;
export const VIRTIO_NET_CTRL_MAC = 1;
export const VIRTIO_NET_CTRL_MAC_TABLE_SET = 0;
export const VIRTIO_NET_CTRL_MAC_ADDR_SET = 1;
export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;

/** Command data read at most; Linux's largest (a MAC table) is far smaller. Beyond: ERR. */
const MAX_COMMAND_DATA = 64 * 1024;
const MAC_BYTES = 6;

export type ControlStats = {
  commands: number;
  /** Commands answered ERR. */
  errors: number;
  promisc: boolean;
  allmulti: boolean;
  /** Entries of the last MAC_TABLE_SET. */
  unicastFilter: number;
  multicastFilter: number;
  /** The last MAC_ADDR_SET, as "aa:bb:...", or undefined. */
  macSet: string | undefined;
};

/** Which command classes the driver may use (from the negotiated features). */
export interface ControlFeatures {
  rx: boolean;
  macAddr: boolean;
}


export class NetControl {
  readonly stats: ControlStats = newStats();
  private readonly logBudget = new LogBudget();

  /** `setMac` applies MAC_ADDR_SET to the config space (spec: before the command completes). */
  constructor(private readonly setMac: (mac: Uint8Array) => void) {}

  /** Device reset: an empty filter table and default modes (spec 5.1.6.5.2.1). */
  reset(): void {
    Object.assign(this.stats, newStats());
  }

  /** Answers every queued command. Throws NetProtocolError for a malformed chain. */
  service(ctx: DeviceContext, queue: VirtQueue, features: ControlFeatures): void {
    let used = false;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      if (chain.readableLength < 2) {
        throw new NetProtocolError(`control command ${chain.head}: ${chain.readableLength} readable bytes, need class and command`);
      }
      if (chain.writableLength < 1) throw new NetProtocolError(`control command ${chain.head}: no device-writable byte for the ack`);
      const reader = chain.reader();
      const [cls, cmd] = reader.read(2);
      const size = chain.readableLength - 2;
      const answer = size > MAX_COMMAND_DATA
        ? `${size} bytes of data, more than ${MAX_COMMAND_DATA}`
        : this.execute(cls!, cmd!, reader.read(size), features);
      this.stats.commands++;
      if (answer !== undefined) {
        this.stats.errors++;
        this.logBudget.log((m) => ctx.log(m), `control command class ${cls} command ${cmd}: ${answer}: ERR`);
      }
      const writer = chain.writer();
      writer.write(Uint8Array.of(answer === undefined ? VIRTIO_NET_OK : VIRTIO_NET_ERR));
      queue.pushUsed(chain, writer.written);
      used = true;
    }
    if (used) ctx.signalUsed(queue.index);
  }

  /** Runs one command; undefined for OK, else why it is ERR. */
  private execute(cls: number, cmd: number, data: Uint8Array, features: ControlFeatures): string | undefined {
    if (cls === VIRTIO_NET_CTRL_RX) {
      if (!features.rx) return "CTRL_RX was not negotiated";
      // ALLUNI, NOMULTI, NOUNI and NOBCAST need CTRL_RX_EXTRA, which is not offered.
      if (cmd !== VIRTIO_NET_CTRL_RX_PROMISC && cmd !== VIRTIO_NET_CTRL_RX_ALLMULTI) return "unsupported rx mode command";
      if (data.length !== 1) return `${data.length} bytes of data, expected 1`;
      if (cmd === VIRTIO_NET_CTRL_RX_PROMISC) this.stats.promisc = data[0] !== 0;
      else this.stats.allmulti = data[0] !== 0;
      return undefined;
    }
    if (cls === VIRTIO_NET_CTRL_MAC && cmd === VIRTIO_NET_CTRL_MAC_ADDR_SET) {
      // Linux sends this only with CTRL_MAC_ADDR; the spec puts the class under CTRL_RX.
      if (!features.macAddr && !features.rx) return "neither CTRL_MAC_ADDR nor CTRL_RX was negotiated";
      if (data.length !== MAC_BYTES) return `${data.length} bytes of data, expected ${MAC_BYTES}`;
      this.setMac(data);
      this.stats.macSet = formatMac(data);
      return undefined;
    }
    if (cls === VIRTIO_NET_CTRL_MAC && cmd === VIRTIO_NET_CTRL_MAC_TABLE_SET) {
      if (!features.rx) return "CTRL_RX was not negotiated";
      const tables = parseMacTables(data);
      if (typeof tables === "string") return tables;
      [this.stats.unicastFilter, this.stats.multicastFilter] = tables;
      return undefined;
    }
    return "unsupported command";
  }
}

function newStats(): ControlStats {
  return { commands: 0, errors: 0, promisc: false, allmulti: false, unicastFilter: 0, multicastFilter: 0, macSet: undefined };
}

/** Two tables of le32 count + count MACs, exactly filling `data`; their sizes, or what is wrong. */
function parseMacTables(data: Uint8Array): [number, number] | string {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const counts: number[] = [];
  let at = 0;
  for (const table of ["unicast", "multicast"]) {
    if (at + 4 > data.length) return `MAC table data ends before the ${table} count`;
    const count = view.getUint32(at, true);
    at += 4;
    if (count > (data.length - at) / MAC_BYTES) return `${table} table claims ${count} entries, more than the data holds`;
    at += count * MAC_BYTES;
    counts.push(count);
  }
  if (at !== data.length) return `${data.length - at} bytes after the MAC tables`;
  return [counts[0]!, counts[1]!];
}
