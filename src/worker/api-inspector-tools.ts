// The worker API's calls for the inspector's tools beside its live picture: the packet
// capture and the ring-event timeline (api.ts re-exports them; the page imports api.ts).
import type { TimelineView } from "../inspect/timeline-types.js";

/** A packet capture of the network cards as the inspector shows it (pcapng, kept in the worker's memory). */
export interface CaptureView {
  running: boolean;
  /** Network cards in the running machine (0: nothing to capture). */
  cards: number;
  /** Frames in the file, and frames left out because the capture was full. */
  frames: number;
  dropped: number;
  /** The file's size so far, and the most it may hold. */
  bytes: number;
  limitBytes: number;
}

/**
 * The inspector's packet capture: every frame of every network card, as the guest sees it
 * (TSO and merged-rx frames unsplit), with timestamps, as a pcapng file.
 */
export interface CaptureApi {
  /** Starts a new capture (dropping the previous file); throws naming why not (no machine, no card). */
  startCapture(): CaptureView;
  /** Ends the running capture (the file gets its statistics); the file stays until the next start. */
  stopCapture(): CaptureView;
  captureStatus(): CaptureView;
  /** The file so far (whole once stopped), transferred; null before any capture. */
  captureFile(): Uint8Array | null;
}

/**
 * The inspector's timeline: every ring event of every queue, recorded while switched on
 * (src/virtio/ring-trace.ts), with guest-time stamps, in a bounded buffer.
 */
export interface TimelineApi {
  /** Starts recording (keeping what was recorded) or stops; throws naming why not (no machine). */
  setTimelineRecording(on: boolean): TimelineView;
  /** Recorded events from sequence number `sinceSeq` on (older ones that are gone are left out). */
  timeline(sinceSeq: number): TimelineView;
  /** Forgets every recorded event (recording goes on if it was on). */
  clearTimeline(): void;
  /** Everything recorded, as a Chrome/Perfetto trace-event JSON file, transferred. */
  timelineTraceFile(): Uint8Array;
}
