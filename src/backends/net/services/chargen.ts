// Character generator (RFC 864, port 19): an endless stream of 72-character lines, the
// 95 printable ASCII characters rotating by one per line, each line ended by CR LF. It is the
// guest's fastest download source: the data is precomputed and written with no copying.
//
// It streams until the connection is gone, with backpressure. A FIN from the peer only
// closes the peer's sending side (RFC 864: the stream stops when the user closes the
// connection), so it does not stop the stream; received data is discarded.

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import { restorableService, type StreamConnection, type StreamHandler, type StreamService } from "../stream-service.js";
import { pump, PUMP_CHUNK_BYTES } from "./backpressure.js";

export const CHARGEN_LINE_CHARS = 72;
const PRINTABLE = 95; // ' ' (32) to '~' (126)
const LINE_BYTES = CHARGEN_LINE_CHARS + 2;
/** After 95 lines the pattern repeats. */
export const CHARGEN_CYCLE_BYTES = PRINTABLE * LINE_BYTES;

/** Line `n` of the pattern, without its CR LF. */
export function chargenLine(n: number): string {
  let line = "";
  for (let k = 0; k < CHARGEN_LINE_CHARS; k++) line += String.fromCharCode(32 + ((n + k) % PRINTABLE));
  return line;
}

let pattern: Uint8Array | undefined;

/**
 * Whole cycles, enough that a chunk of up to PUMP_CHUNK_BYTES starting anywhere in the first
 * cycle is one contiguous subarray. Chunks are views of it: it is never modified, so the
 * connection may keep them.
 */
function chargenPattern(): Uint8Array {
  if (!pattern) {
    const cycles = Math.ceil((CHARGEN_CYCLE_BYTES + PUMP_CHUNK_BYTES) / CHARGEN_CYCLE_BYTES);
    pattern = new Uint8Array(cycles * CHARGEN_CYCLE_BYTES);
    for (let n = 0; n < cycles * PRINTABLE; n++) {
      const at = n * LINE_BYTES;
      for (let k = 0; k < CHARGEN_LINE_CHARS; k++) pattern[at + k] = 32 + ((n + k) % PRINTABLE);
      pattern[at + CHARGEN_LINE_CHARS] = 0x0d;
      pattern[at + CHARGEN_LINE_CHARS + 1] = 0x0a;
    }
  }
  return pattern;
}

/** A chargen connection between events: where in the pattern the next byte comes from. */
export type ChargenState = Plain<{ service: "chargen"; position: number }>;

class ChargenConnection implements StreamHandler {
  private closed = false;

  /** `position`: where the next byte comes from in the first cycle of the pattern. */
  constructor(private readonly connection: StreamConnection, private position = 0) {}

  saveState(): ChargenState {
    return { service: "chargen", position: this.position };
  }

  static restore(connection: StreamConnection, state: StateReader): ChargenConnection {
    state.field("service").oneOf(["chargen"] as const);
    return new ChargenConnection(connection, state.field("position").integer(0, CHARGEN_CYCLE_BYTES - 1));
  }

  onData(): void {}

  onEnd(): void {}

  onWritable(): void {
    if (this.closed) return;
    const bytes = chargenPattern();
    pump(this.connection, (max) => {
      const chunk = bytes.subarray(this.position, this.position + max);
      this.position = (this.position + chunk.length) % CHARGEN_CYCLE_BYTES;
      return chunk;
    });
  }

  onClose(): void {
    this.closed = true;
  }
}

export function createChargenService(): StreamService {
  return restorableService(
    (connection) => {
      const chargen = new ChargenConnection(connection);
      chargen.onWritable(); // the stream starts at once
      return chargen;
    },
    (connection, state) => ChargenConnection.restore(connection, state),
  );
}
