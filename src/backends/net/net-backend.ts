// The cable between a network device and whatever is on the other end (the in-worker host
// network, a WebSocket relay, a BroadcastChannel switch). Frames are plain Ethernet frames
// (no virtio header); offload metadata travels beside them, so backends never see virtio
// and devices never see IP.
//
// Backpressure: the backend keeps frames for the guest queued until the device pulls them,
// which it does only when the guest has posted receive buffers. Nothing is dropped for lack
// of guest buffers; the backend bounds its queue (TCP by the guest's window).

/** Offload facts about one frame. All optional: a plain frame has none. */
export interface FrameOffload {
  /**
   * The checksums are known good (host to guest: VIRTIO_NET_HDR_F_DATA_VALID), so the
   * receiver need not verify them. Host-built frames may then leave them zero.
   */
  checksumValid?: boolean;
  /**
   * The frame holds one TCP/IPv4 segment larger than the MSS, to be treated as a run of
   * segments of this many payload bytes (GSO TCPV4). Only sent to a guest that accepts TSO.
   */
  tcpSegmentSize?: number;
  /**
   * Guest to host: the L4 checksum is partial (VIRTIO_NET_HDR_F_NEEDS_CSUM): the 16-bit
   * field at `start + offset` holds only the pseudo-header sum. Receivers must not verify it.
   */
  partialChecksum?: { start: number; offset: number };
}

export interface NetFrame {
  bytes: Uint8Array;
  offload?: FrameOffload;
}

/** What the guest's driver negotiated, so the backend knows what it may send. */
export interface GuestNetCapabilities {
  /** GUEST_CSUM: frames may carry checksumValid instead of real checksums. */
  checksumOffload: boolean;
  /** GUEST_TSO4 (with MRG_RXBUF or big buffers): frames may carry tcpSegmentSize. */
  tso4: boolean;
  /** Largest frame the guest accepts, Ethernet header included. */
  maxFrameBytes: number;
}

export interface NetBackend {
  /** A frame the guest transmitted. */
  receiveFromGuest(frame: NetFrame): void;
  /**
   * The next frame for the guest, or undefined. Called only when the guest has room. The
   * frame's bytes are valid until the next call (a backend may build every frame in one
   * buffer): use or copy them before pulling another.
   */
  nextForGuest(): NetFrame | undefined;
  /**
   * `listener` runs whenever frames for the guest become available (the device then pulls
   * with nextForGuest). Replaces any earlier listener.
   */
  onGuestFramesReady(listener: () => void): void;
  /** The device (re)negotiated with its driver; `undefined` when the device was reset. */
  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void;
  /**
   * The guest's device was reset or the machine rebooted: drop everything that belonged to
   * the guest's side (frames queued for it, connections it had, what was learned about it),
   * so a fresh driver starts from nothing. Not called when a machine is restored from a
   * snapshot: a restored backend keeps the state that was saved with the guest.
   */
  guestReset(): void;
}
