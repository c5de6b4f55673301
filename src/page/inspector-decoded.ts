// The chain view's decoded layers: each header or message the machine decoded from the
// chain's buffers (virtio-net header, Ethernet, IPv4, TCP; a virtio-blk request and its
// status; a 9P message) as a small block of named fields, with where it starts, and what
// kept it from being decoded in full. Everything here is guest data: text goes in through
// textContent only.
import type { ChainView } from "../worker/api.js";
import { el } from "./inspector-dom.js";
import "./inspector-decoded.css";

type DecodedLayer = NonNullable<ChainView["decoded"]>[number];

export const STALE_WORDS = "stale: the device has not written this buffer yet; these bytes are from before";

export interface DecodedView {
  readonly element: HTMLElement;
  show(view: ChainView): void;
  clear(): void;
}

export function createDecodedView(): DecodedView {
  const root = el("div", "chain-decoded");
  root.hidden = true;
  return {
    element: root,
    show(view) {
      const layers = view.decoded ?? [];
      const blocks = layers.map((layer) => layerBlock(layer, view));
      if (view.decodeNote) blocks.push(el("p", "decoded-note", view.decodeNote));
      root.replaceChildren(...blocks);
      root.hidden = blocks.length === 0;
      // For tests: the layers' names, in order.
      root.dataset.layers = layers.map((l) => l.name).join(",");
    },
    clear() {
      root.replaceChildren();
      root.hidden = true;
      delete root.dataset.layers;
    },
  };
}

function layerBlock(layer: DecodedLayer, view: ChainView): HTMLElement {
  const block = el("section", "decoded-layer");
  block.dataset.layer = layer.name;
  const head = el("div", "decoded-head");
  head.append(el("span", "decoded-name", layer.name), el("span", "decoded-where", where(layer, view)));
  block.append(head);
  if (layer.fields.length > 0) {
    const list = el("dl", "decoded-fields");
    for (const f of layer.fields) {
      const item = el("div", "decoded-field");
      const name = el("dt", undefined, f.name);
      const value = el("dd", undefined, f.value);
      if (f.about) item.title = f.about;
      item.dataset.field = f.name;
      item.append(name, value);
      list.append(item);
    }
    block.append(list);
  }
  if (layer.problem) {
    block.classList.add("problem");
    block.append(el("p", "decoded-problem", layer.problem));
  }
  return block;
}

/** "descriptor 1, bytes 12-25" (the descriptor by its position in the table, as the # column numbers it). */
function where(layer: DecodedLayer, view: ChainView): string {
  if (layer.descriptor < 0) return "";
  const d = view.descriptors[layer.descriptor];
  const stale = d?.stale ? " (stale)" : "";
  const span = layer.length > 1 ? `bytes ${layer.offset}–${layer.offset + layer.length - 1}` : `byte ${layer.offset}`;
  return `#${layer.descriptor}${stale} · ${span}`;
}
