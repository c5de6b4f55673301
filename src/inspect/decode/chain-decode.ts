// Decodes one chain the way its queue's device says its buffers are laid out (DeviceInfo's
// chainFormats): net frames, block requests or 9P messages. Costs at most DECODE_BYTES
// copied per side plus one status byte, and never throws: what the bytes do not hold
// becomes a layer's problem.
import type { GuestMemory } from "../../memory/guest-memory.js";
import type { ChainFormat } from "../../virtio/device-info.js";
import { errorMessage } from "../../util/error-message.js";
import { decodeBlkRequest } from "./blk-request.js";
import { chainBytes, place, type ChainBytes, type ChainBytesInput } from "./chain-bytes.js";
import type { DecodedLayer, LayerDraft } from "./layer.js";
import { decodeNetFrame } from "./net-frame.js";
import { decodeNinepMessage } from "./ninep-message.js";

export interface DecodedChain {
  decoded: DecodedLayer[];
  /** Positions (in the chain's descriptor list) of writable buffers the device has not filled. */
  stale: number[];
  /** Why nothing (or not everything) was decoded, when it is not a layer's own problem. */
  note?: string;
}

export function decodeChain(memory: GuestMemory, format: ChainFormat, input: ChainBytesInput): DecodedChain {
  let bytes: ChainBytes | undefined;
  try {
    bytes = chainBytes(memory, input);
    const { drafts, note } = draftsFor(format, bytes);
    const decoded = drafts.map((d) => placed(d, bytes!));
    return note ? { decoded, stale: bytes.staleDescriptors, note } : { decoded, stale: bytes.staleDescriptors };
  } catch (e) {
    return { decoded: [], stale: bytes?.staleDescriptors ?? [], note: `inspector error while decoding: ${errorMessage(e)}` };
  }
}

function draftsFor(format: ChainFormat, c: ChainBytes): { drafts: LayerDraft[]; note?: string } {
  const staleNote = "not decoded: the device has not written a frame here yet";
  switch (format) {
    case "net-frame":
      // Transmit: the driver's frame in readable buffers. Receive: the device's, in writable ones.
      if (c.readable.total > 0) return { drafts: decodeNetFrame(c.readable) };
      if (c.stale) return { drafts: [], note: staleNote };
      return c.writable.length > 0 ? { drafts: decodeNetFrame(c.writable) } : { drafts: [], note: "the device wrote no bytes" };
    case "blk-request":
      return { drafts: decodeBlkRequest(c) };
    case "9p-message": {
      const drafts = c.readable.total > 0 ? [decodeNinepMessage(c.readable)] : [];
      if (c.stale) return { drafts, note: "the reply buffers are not written yet" };
      if (c.writable.length > 0 && c.written !== 0) drafts.push(decodeNinepMessage(c.writable));
      return { drafts };
    }
    case "none":
      return { drafts: [] };
  }
}

function placed(d: LayerDraft, c: ChainBytes): DecodedLayer {
  const { descriptor, offset } = place(c.segments[d.side], d.start);
  const layer: DecodedLayer = { name: d.name, fields: d.fields, descriptor, offset, length: d.length };
  if (d.problem) layer.problem = d.problem;
  return layer;
}
