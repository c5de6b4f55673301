// The one reply the transport makes itself: Rlerror, for a request the server cannot be
// asked about (its reply would not fit, or the server failed). Everything else is the
// 9P server's (src/backends/9p).
import { HEADER_BYTES, MSG, NOTAG } from "../backends/9p/ninep-spec.js";

/** Linux's errno for "message too long". */
export const EMSGSIZE = 90;
export const EIO = 5;

/** Rlerror for `request` (its tag; NOTAG when it is too short to carry one). */
export function errorReply(request: Uint8Array, errno: number): Uint8Array {
  const reply = new Uint8Array(HEADER_BYTES + 4);
  const view = new DataView(reply.buffer);
  view.setUint32(0, reply.length, true);
  view.setUint8(4, MSG.Rlerror);
  view.setUint16(5, request.length >= HEADER_BYTES ? request[5]! | (request[6]! << 8) : NOTAG, true);
  view.setUint32(HEADER_BYTES, errno, true);
  return reply;
}
