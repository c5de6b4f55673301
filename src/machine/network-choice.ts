// What is at the other end of one network card's cable, as the environment that builds
// the machine resolved it (the host network in Node or a worker, a BroadcastChannel
// switch, a WebSocket relay): the backend, its timers, and how to save it.
import type { NetBackend } from "../backends/net/net-backend.js";
import type { PlainData } from "../snapshot/state-reader.js";

/** The other end of the network cable, if it can be saved (the host network can; a relay cannot). */
export interface NetworkStateHooks {
  save(): PlainData;
  /** Takes up saved state; `nowMs` is this process's clock (saved times are relative). */
  restore(saved: unknown, nowMs: number): void;
}

export interface NetworkChoice {
  backend: NetBackend;
  /** The backend's timers (the host network's TCP), run once per slice of guest execution. */
  tick?: (nowMs: number) => void;
  /** How to save and restore the other end (the host network's connections); absent: it is not saved. */
  state?: NetworkStateHooks;
  /** The MAC the card must have when the backend decides it (a switch port's); else the description's. */
  mac?: string;
}
