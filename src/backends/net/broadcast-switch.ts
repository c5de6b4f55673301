// A two-port Ethernet switch that lets VMs in tabs of the same origin reach each other:
// one port is this guest's local backend (the in-worker host network: router, DHCP, DNS),
// the other a BroadcastChannel shared by every tab. Routing by destination MAC:
//   guest frame to the router's MAC       -> local backend only (never crosses tabs)
//   guest frame to a group (broadcast/multicast) address -> local backend and channel
//   guest frame to any other unicast MAC  -> channel only
//   channel frame to our MAC or a group address -> guest; anything else is not ours
// Offloads: a guest frame goes on the channel as it is, with its offload metadata beside
// it (a TSO frame is one message, not 45), and the receiving tab decides: its guest gets
// the metadata if it negotiated the offload, or plain segments with finished checksums.
// Both guests usually run our device and accept TSO, so nobody segments at all.
//
// Addresses: every tab's host network would hand out 10.0.2.15 by DHCP. The caller gives
// each guest its own MAC (randomLocalMac) and must configure the local host network to
// lease guestIpForMac(mac) to it; the host network must answer ARP only for its own
// addresses, or it would capture the other guests' traffic.
import { FrameQueue } from "./frame-queue.js";
import { isGroupMac, macEquals, toMacBytes } from "./mac-address.js";
import type { GuestNetCapabilities, NetBackend, NetFrame } from "./net-backend.js";
import { completePartialChecksum, OffloadError, segmentTcp4 } from "./software-offload.js";
import { addressAnswer, isAddressAnswer, isAddressQuery } from "./switch-addresses.js";
import type { SwitchChannel } from "./switch-channel.js";

export const SWITCH_CHANNEL_NAME = "ringside-net";
/** The host network's router (gateway) MAC. */
export const DEFAULT_ROUTER_MAC = "52:55:0a:00:02:02";
const MESSAGE_KIND = "ringside-frame/1";
const ETHERNET_HEADER_BYTES = 14;

/** What goes on the channel: one guest frame and the sender's transmit offload metadata. */
export interface SwitchMessage {
  kind: typeof MESSAGE_KIND;
  /** Random per switch: a sender ignores its own frames should the channel echo them. */
  from: string;
  bytes: Uint8Array;
  tcpSegmentSize?: number;
  partialChecksum?: { start: number; offset: number };
}

export interface BroadcastSwitchOptions {
  /** This guest's MAC: unicast frames from the channel are delivered only to it. */
  guestMac: string | Uint8Array;
  /** The backend for router-bound and group frames (the host network). */
  local: NetBackend;
  /** This guest's address, told to a new tab that asks which are taken (switch-addresses.ts). */
  guestIp?: string;
  /** Default: new BroadcastChannel(SWITCH_CHANNEL_NAME). */
  channel?: SwitchChannel;
  routerMac?: string | Uint8Array;
  /** Channel frames waiting for the guest; over this the oldest are dropped. */
  channelQueueFrames?: number;
  senderId?: string;
}

export interface SwitchCounters {
  framesToChannel: number;
  bytesToChannel: number;
  framesFromChannel: number;
  bytesFromChannel: number;
  /** Channel frames for other guests' MACs (every tab sees every frame). */
  notForUs: number;
  /** Our own frames seen again on the channel. */
  echoes: number;
  /** Channel frames lost: the queue was full (the oldest went) or the frame too big. */
  dropped: number;
  /** Not an Ethernet frame, or offload metadata that does not fit the frame. */
  malformed: number;
  /** Channel frames the switch segmented or checksummed because the guest could not. */
  softwareOffloaded: number;
}

/**
 * 10.0.2.X for a guest with this MAC, X in 16..250 (above the host network's 10.0.2.2-15,
 * below broadcast), from an FNV-1a hash of the MAC. Two random MACs collide with chance
 * 1/235: a new tab picks its MAC so that its address is not one a running tab holds
 * (switch-addresses.ts).
 */
export function guestIpForMac(mac: string | Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of toMacBytes(mac)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `10.0.2.${16 + (hash % 235)}`;
}

export class BroadcastSwitch implements NetBackend {
  readonly counters: SwitchCounters = {
    framesToChannel: 0, bytesToChannel: 0, framesFromChannel: 0, bytesFromChannel: 0,
    notForUs: 0, echoes: 0, dropped: 0, malformed: 0, softwareOffloaded: 0,
  };
  readonly senderId: string;
  private readonly guestMac: Uint8Array;
  private readonly routerMac: Uint8Array;
  private readonly local: NetBackend;
  private readonly guestIp: string | undefined;
  private readonly channel: SwitchChannel;
  private readonly fromChannel: FrameQueue<SwitchMessage>;
  private pending: NetFrame[] = []; // the rest of a channel frame segmented for the guest
  private localTurn = true; // alternate sources so neither starves the other
  private caps: GuestNetCapabilities | undefined;
  private guestReady: () => void = () => {};

  constructor(opts: BroadcastSwitchOptions) {
    this.guestMac = toMacBytes(opts.guestMac);
    this.routerMac = toMacBytes(opts.routerMac ?? DEFAULT_ROUTER_MAC);
    this.local = opts.local;
    this.guestIp = opts.guestIp;
    this.channel = opts.channel ?? new BroadcastChannel(SWITCH_CHANNEL_NAME);
    this.fromChannel = new FrameQueue(opts.channelQueueFrames ?? 256);
    this.senderId = opts.senderId ?? randomId();
    this.channel.onmessage = (ev) => this.receiveFromChannel(ev.data);
    this.local.onGuestFramesReady(() => this.guestReady());
  }

  receiveFromGuest(frame: NetFrame): void {
    const bytes = frame.bytes;
    if (bytes.length < ETHERNET_HEADER_BYTES) {
      this.counters.malformed++;
      return;
    }
    if (macEquals(bytes, 0, this.routerMac)) {
      this.local.receiveFromGuest(frame);
      return;
    }
    // Posting first: postMessage copies the bytes at once, so the local backend may then
    // do what it likes with the frame.
    this.post(frame);
    if (isGroupMac(bytes)) this.local.receiveFromGuest(frame);
  }

  nextForGuest(): NetFrame | undefined {
    const first = this.localTurn ? this.local.nextForGuest() : this.nextFromChannel();
    if (first) {
      this.localTurn = !this.localTurn;
      return first;
    }
    return this.localTurn ? this.nextFromChannel() : this.local.nextForGuest();
  }

  onGuestFramesReady(listener: () => void): void {
    this.guestReady = listener;
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    this.caps = caps;
    this.local.setGuestCapabilities(caps);
    if (caps === undefined) {
      this.fromChannel.clear();
      this.pending = [];
    }
  }

  /** The guest's device was reset: channel frames queued for it go, and the local backend resets too. */
  guestReset(): void {
    this.fromChannel.clear();
    this.pending = [];
    this.local.guestReset();
  }

  /** Leaves the channel (the local backend belongs to the caller). */
  close(): void {
    this.channel.onmessage = null;
    this.channel.close();
  }

  get channelQueueLength(): number {
    return this.fromChannel.length;
  }

  private post(frame: NetFrame): void {
    // A view into a larger (or shared) buffer would clone the whole buffer: send a copy.
    const b = frame.bytes;
    const bytes = b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
    const message: SwitchMessage = { kind: MESSAGE_KIND, from: this.senderId, bytes };
    const { tcpSegmentSize, partialChecksum } = frame.offload ?? {};
    if (tcpSegmentSize !== undefined) message.tcpSegmentSize = tcpSegmentSize;
    if (partialChecksum) message.partialChecksum = { start: partialChecksum.start, offset: partialChecksum.offset };
    this.channel.postMessage(message);
    this.counters.framesToChannel++;
    this.counters.bytesToChannel += bytes.length;
  }

  private receiveFromChannel(data: unknown): void {
    if (isAddressQuery(data)) {
      if (this.guestIp !== undefined) this.channel.postMessage(addressAnswer(data, this.guestIp));
      return;
    }
    if (isAddressAnswer(data)) return; // for the tab that asked
    if (!isSwitchMessage(data) || data.bytes.length < ETHERNET_HEADER_BYTES) {
      this.counters.malformed++;
      return;
    }
    if (data.from === this.senderId) {
      this.counters.echoes++;
      return;
    }
    if (!macEquals(data.bytes, 0, this.guestMac) && !isGroupMac(data.bytes)) {
      this.counters.notForUs++;
      return;
    }
    this.counters.framesFromChannel++;
    this.counters.bytesFromChannel += data.bytes.length;
    if (this.fromChannel.push(data) !== undefined) this.counters.dropped++;
    this.guestReady();
  }

  /** The next channel frame in the form this guest accepts (decided now: caps may change). */
  private nextFromChannel(): NetFrame | undefined {
    for (;;) {
      const next = this.pending.shift();
      if (next) return next;
      const item = this.fromChannel.shift();
      if (!item) return undefined;
      try {
        this.pending = this.adapt(item);
      } catch (e) {
        if (!(e instanceof OffloadError)) throw e;
        this.counters.malformed++;
      }
    }
  }

  private adapt({ bytes, tcpSegmentSize, partialChecksum }: SwitchMessage): NetFrame[] {
    const caps = this.caps;
    const csum = caps?.checksumOffload ?? false;
    const maxBytes = caps?.maxFrameBytes ?? Infinity;
    // Frames we checksummed ourselves are known good: tell a guest that can skip checking.
    const plain = (b: Uint8Array): NetFrame => (csum ? { bytes: b, offload: { checksumValid: true } } : { bytes: b });
    if (tcpSegmentSize !== undefined) {
      if (caps?.tso4 && csum) {
        // Whole, as the guest's TSO sent it (the device checks GSO sizes: maxFrameBytes
        // may bound only plain frames). The device puts the pseudo-header sum in the
        // checksum field with NEEDS_CSUM, as virtio requires for GSO.
        return [{ bytes, offload: { tcpSegmentSize, checksumValid: true } }];
      }
      this.counters.softwareOffloaded++;
      return segmentTcp4(bytes, tcpSegmentSize).map(plain);
    }
    if (bytes.length > maxBytes) {
      this.counters.dropped++;
      return [];
    }
    if (partialChecksum) {
      // Finished even for a checksum-offload guest: a field left partial would go out
      // wrong if that guest forwarded the frame.
      this.counters.softwareOffloaded++;
      return [plain(completePartialChecksum(bytes, partialChecksum.start, partialChecksum.offset))];
    }
    return [{ bytes }];
  }
}

function isSwitchMessage(data: unknown): data is SwitchMessage {
  if (typeof data !== "object" || data === null) return false;
  const m = data as Partial<Record<keyof SwitchMessage, unknown>>;
  const pc = m.partialChecksum as { start?: unknown; offset?: unknown } | undefined;
  return m.kind === MESSAGE_KIND && typeof m.from === "string" && m.bytes instanceof Uint8Array
    && (m.tcpSegmentSize === undefined || typeof m.tcpSegmentSize === "number")
    && (pc === undefined || (typeof pc === "object" && pc !== null && typeof pc.start === "number" && typeof pc.offset === "number"));
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
