// virtio-net (network device, spec 5.1) over a NetBackend: one queue pair (0 rx, 1 tx) and
// a control queue (2). Offers checksum and TCPv4 segmentation offload both ways and
// mergeable rx buffers, because per-frame and per-byte guest work is what costs most under
// emulation. How the pair is serviced (and how few kicks and interrupts it takes) is
// net-queue-pair.ts; the header translation is net-header.ts; the control queue is
// net-control.ts. This file is features, config space and lifecycle.
import type { GuestNetCapabilities, NetBackend } from "../backends/net/net-backend.js";
import type { PollSource } from "../virtio/poll-source.js";
import type { DeviceContext, DeviceNotificationMode, VirtioDevice } from "../virtio/virtio-device.js";
import type { AsFigures, DeviceInfo } from "../virtio/device-info.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import { NetControl, type ControlStats } from "./net-control.js";
import { formatMac, parseMac } from "../util/mac-address.js";
import { ETH_HEADER_BYTES, LogBudget, NET_MAX_FRAME_BYTES, type NetFormat } from "./net-header.js";
import { DEFAULT_IDLE_TICKS, NetQueuePair, type NotificationPolicy, type PairStats } from "./net-queue-pair.js";

export type { NotificationPolicy } from "./net-queue-pair.js";

export const VIRTIO_ID_NET = 1;

// Feature bits (spec 5.1.3).
export const VIRTIO_NET_F_CSUM = 1n << 0n;
export const VIRTIO_NET_F_GUEST_CSUM = 1n << 1n;
export const VIRTIO_NET_F_MTU = 1n << 3n;
export const VIRTIO_NET_F_MAC = 1n << 5n;
export const VIRTIO_NET_F_GUEST_TSO4 = 1n << 7n;
export const VIRTIO_NET_F_HOST_TSO4 = 1n << 11n;
export const VIRTIO_NET_F_MRG_RXBUF = 1n << 15n;
export const VIRTIO_NET_F_STATUS = 1n << 16n;
export const VIRTIO_NET_F_CTRL_VQ = 1n << 17n;
export const VIRTIO_NET_F_CTRL_RX = 1n << 18n;
export const VIRTIO_NET_F_CTRL_MAC_ADDR = 1n << 23n;

export const VIRTIO_NET_S_LINK_UP = 1;

// Config space (struct virtio_net_config, spec 5.1.4) up to mtu: speed/duplex and the RSS
// fields exist only with features that are not offered.
export const NET_CONFIG = { mac: 0, status: 6, maxVirtqueuePairs: 8, mtu: 10 } as const;
export const NET_CONFIG_SIZE = 12;

/** virtio-net as it describes itself: the spec's names for its bits, config fields and queues. */
export const NET_INFO: DeviceInfo = {
  id: VIRTIO_ID_NET,
  name: "virtio-net",
  kind: "network",
  featureNames: [
    [0, "NET_F_CSUM"], [1, "NET_F_GUEST_CSUM"], [2, "NET_F_CTRL_GUEST_OFFLOADS"], [3, "NET_F_MTU"], [5, "NET_F_MAC"],
    [7, "NET_F_GUEST_TSO4"], [8, "NET_F_GUEST_TSO6"], [9, "NET_F_GUEST_ECN"], [10, "NET_F_GUEST_UFO"],
    [11, "NET_F_HOST_TSO4"], [12, "NET_F_HOST_TSO6"], [13, "NET_F_HOST_ECN"], [14, "NET_F_HOST_UFO"],
    [15, "NET_F_MRG_RXBUF"], [16, "NET_F_STATUS"], [17, "NET_F_CTRL_VQ"], [18, "NET_F_CTRL_RX"],
    [19, "NET_F_CTRL_VLAN"], [21, "NET_F_GUEST_ANNOUNCE"], [22, "NET_F_MQ"], [23, "NET_F_CTRL_MAC_ADDR"],
  ],
  configSize: NET_CONFIG_SIZE,
  config: [
    { name: "mac", offset: NET_CONFIG.mac, size: 6, format: "mac", about: "the card's address (with NET_F_MAC)" },
    { name: "status", offset: NET_CONFIG.status, size: 2, format: "hex", about: "1: link up (with NET_F_STATUS)" },
    { name: "max_virtqueue_pairs", offset: NET_CONFIG.maxVirtqueuePairs, size: 2, format: "number", about: "with NET_F_MQ" },
    { name: "mtu", offset: NET_CONFIG.mtu, size: 2, format: "number", about: "with NET_F_MTU" },
  ],
  queueNames: ["receiveq1", "transmitq1", "controlq"],
  chainFormats: ["net-frame", "net-frame", "none"],
};
export const DEFAULT_MAC = "52:54:00:12:34:56";
export const DEFAULT_MTU = 1500;
const VLAN_TAG_BYTES = 4;

export interface VirtioNetOptions {
  backend: NetBackend;
  /** Fires about every millisecond of guest time; the shared policy polls tx from it. */
  poll: PollSource;
  /** "aa:bb:cc:dd:ee:ff" (default 52:54:00:12:34:56). */
  mac?: string;
  /** Offered through VIRTIO_NET_F_MTU (68 to 65535, default 1500). */
  mtu?: number;
  /** Maximum size of each queue (a power of two, default 256). */
  queueSize?: number;
  /** Or each queue's own: rx, tx, control. */
  queueSizes?: readonly number[];
  /** "shared" (default): one pass for the pair, kicks off while traffic flows. "per-queue": plain. */
  notificationPolicy?: NotificationPolicy;
  /** Idle poll ticks before the shared policy turns kicks back on (default 32). */
  idleTicks?: number;
}

/** Live figures of a network card. */
export type NetStats = PairStats & {
  mac: string;
  mtu: number;
  /** Doorbell writes seen per queue (rx, tx, control). */
  kicks: number[];
  control: ControlStats;
  capabilities: AsFigures<GuestNetCapabilities> | null;
};

export class VirtioNet implements VirtioDevice {
  readonly info = NET_INFO;
  readonly queueMaxSizes: readonly number[];
  readonly features =
    VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MTU | VIRTIO_NET_F_MAC | VIRTIO_NET_F_GUEST_TSO4 |
    VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_MRG_RXBUF | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_CTRL_RX |
    VIRTIO_NET_F_CTRL_MAC_ADDR;

  private ctx: DeviceContext | undefined;
  private readonly backend: NetBackend;
  private readonly defaultMac: Uint8Array;
  private readonly mtu: number;
  private readonly config = new DataView(new ArrayBuffer(NET_CONFIG_SIZE));
  private readonly pair: NetQueuePair;
  private readonly control: NetControl;
  private readonly kicks = [0, 0, 0];
  private capabilities: GuestNetCapabilities | undefined;
  private readonly configLog = new LogBudget();

  constructor(opts: VirtioNetOptions) {
    const queueSize = opts.queueSize ?? 256;
    const sizes = opts.queueSizes ?? [queueSize, queueSize, queueSize];
    for (const size of sizes) {
      if (!Number.isInteger(size) || size < 2 || size > 32768 || (size & (size - 1)) !== 0) {
        throw new RangeError(`virtio-net queue size ${size} is not a power of two from 2 to 32768`);
      }
    }
    if (sizes.length !== 3) throw new RangeError(`virtio-net has 3 queues (rx, tx, control), not ${sizes.length}`);
    this.mtu = opts.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) throw new RangeError(`virtio-net MTU ${this.mtu} is not within 68..65535`);
    this.defaultMac = parseMac(opts.mac ?? DEFAULT_MAC);
    this.queueMaxSizes = [...sizes];
    this.backend = opts.backend;
    this.pair = new NetQueuePair({
      backend: opts.backend, poll: opts.poll, policy: opts.notificationPolicy ?? "shared", idleTicks: opts.idleTicks ?? DEFAULT_IDLE_TICKS,
    });
    this.control = new NetControl((mac) => this.setConfigMac(mac));
    this.setConfigMac(this.defaultMac);
    this.config.setUint16(NET_CONFIG.status, VIRTIO_NET_S_LINK_UP, true);
    this.config.setUint16(NET_CONFIG.maxVirtqueuePairs, 1, true);
    this.config.setUint16(NET_CONFIG.mtu, this.mtu, true);
    // Registered once: the backend keeps one listener, and the pair ignores it while inactive.
    this.backend.onGuestFramesReady(() => this.pair.framesReady());
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (size === 1) return this.config.getUint8(offset);
    if (size === 2) return this.config.getUint16(offset, true);
    return this.config.getUint32(offset, true);
  }

  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    // Spec 5.1.4.2: every field is read-only for a modern driver (only legacy drivers
    // wrote mac here; this device has no legacy interface). MAC changes go through
    // the control queue.
    const ctx = this.ctx;
    this.configLog.log(ctx && ((m) => ctx.log(m)), `ignored ${size}-byte write of 0x${value.toString(16)} to read-only config at offset ${offset}`);
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    const format = netFormat(ctx.features, this.mtu);
    this.capabilities = {
      checksumOffload: format.guestCsum,
      tso4: format.guestTso4,
      maxFrameBytes: format.guestTso4 ? NET_MAX_FRAME_BYTES : format.rxPlainMax,
    };
    this.backend.setGuestCapabilities(this.capabilities);
    this.pair.start(ctx, format);
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (index >= 0 && index < this.kicks.length) this.kicks[index]!++;
    const cvq = index === 2 ? ctx.queue(2) : undefined;
    if (cvq) {
      const f = ctx.features;
      this.control.service(ctx, cvq, { rx: (f & VIRTIO_NET_F_CTRL_RX) !== 0n, macAddr: (f & VIRTIO_NET_F_CTRL_MAC_ADDR) !== 0n });
    }
    this.pair.kick(index);
  }

  reset(): void {
    // A driver that was running is gone (a reset by the driver, a failure, a reboot): its
    // connections and queued frames go too. A device that never ran (a fresh machine, or one
    // being restored, whose network was restored just before) has nothing to drop.
    if (this.ctx !== undefined) this.backend.guestReset();
    this.ctx = undefined;
    this.pair.stop();
    this.control.reset();
    this.setConfigMac(this.defaultMac); // a MAC set through the control queue lasts until reset
    this.capabilities = undefined;
    this.backend.setGuestCapabilities(undefined);
  }

  /** The MAC the driver may have set through the control queue; the rest is rebuilt at activation. */
  saveState(): PlainData {
    return { mac: new Uint8Array(this.config.buffer, NET_CONFIG.mac, 6).slice() };
  }

  restoreState(state: StateReader): void {
    const mac = state.field("mac").bytes(6);
    if (mac.length !== 6) state.field("mac").fail("6 bytes");
    this.setConfigMac(mac);
  }

  stats(): NetStats {
    return {
      ...this.pair.stats(),
      mac: formatMac(new Uint8Array(this.config.buffer, NET_CONFIG.mac, 6)),
      mtu: this.mtu,
      kicks: [...this.kicks],
      control: { ...this.control.stats },
      capabilities: this.capabilities ? { ...this.capabilities } : null,
    };
  }

  /** Polling while traffic flows (shared policy), else waiting for kicks. */
  notificationMode(): DeviceNotificationMode {
    return this.pair.mode;
  }

  private setConfigMac(mac: Uint8Array): void {
    new Uint8Array(this.config.buffer, NET_CONFIG.mac, 6).set(mac.subarray(0, 6));
  }
}

/** What the negotiated features mean for framing and limits. */
export function netFormat(features: bigint, mtu: number): NetFormat {
  const has = (bit: bigint) => (features & bit) !== 0n;
  const mtuNegotiated = has(VIRTIO_NET_F_MTU);
  return {
    mergeable: has(VIRTIO_NET_F_MRG_RXBUF),
    hostCsum: has(VIRTIO_NET_F_CSUM),
    hostTso4: has(VIRTIO_NET_F_HOST_TSO4),
    guestCsum: has(VIRTIO_NET_F_GUEST_CSUM),
    // The spec makes GUEST_TSO4 require GUEST_CSUM: GSO frames go out with NEEDS_CSUM.
    guestTso4: has(VIRTIO_NET_F_GUEST_TSO4) && has(VIRTIO_NET_F_GUEST_CSUM),
    // Without VIRTIO_NET_F_MTU the driver may raise its MTU at will: only the hard limit applies.
    txPlainMax: mtuNegotiated ? mtu + ETH_HEADER_BYTES + VLAN_TAG_BYTES : NET_MAX_FRAME_BYTES,
    rxPlainMax: (mtuNegotiated ? mtu : DEFAULT_MTU) + ETH_HEADER_BYTES,
  };
}
