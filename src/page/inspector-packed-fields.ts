// A packed ring's fields in its queue card (in place of a split ring's avail and used ring
// fields): the three areas, both event suppression structures decoded (the driver's governs
// the device's interrupts, the device's governs the driver's kicks), the device's next-avail
// and next-used slots with their wrap counters, and what is in flight. Also the packed
// ring's legend, the data-* attributes tests read, and the switch between the two layouts'
// parts of a queue card. Every label explains itself on hover and focus (inspector-term.ts).
import type { QueueView } from "../worker/api.js";
import { address } from "./inspector-format.js";
import { el, setData, setHidden, setText } from "./inspector-dom.js";
import { PACKED_LEGEND, TICK_COLOUR } from "./inspector-ring-packed.js";
import { explainedFields, swatch } from "./inspector-queue-parts.js";
import { termLabel } from "./inspector-term.js";

type PackedRing = NonNullable<QueueView["packed"]>;
type EventArea = PackedRing["driverEvent"];

/** Key, label, glossary term (glossary-ring.ts explains each). */
export const PACKED_FIELDS = [
  // In pairs, for two columns: the areas and events of the driver on the left, of the device on the right.
  ["desc", "descriptor ring", "packed.desc"],
  ["inFlight", "in flight", "packed.inFlight"],
  ["driverArea", "driver area", "packed.driverArea"],
  ["deviceArea", "device area", "packed.deviceArea"],
  ["nextAvail", "device next avail", "packed.nextAvail"],
  ["nextUsed", "device next used", "packed.nextUsed"],
  ["driverEvent", "driver event", "packed.driverEvent"],
  ["deviceEvent", "device event", "packed.deviceEvent"],
] as const;
const FIELDS = PACKED_FIELDS;
type Field = (typeof FIELDS)[number][0];

const wrapBit = (w: boolean) => (w ? "1" : "0");

/** "DESC: slot 12, wrap 1" with EVENT_IDX's descriptor; "ENABLE" / "DISABLE" alone. */
export function eventWords(e: EventArea): string {
  return e.flagsName === "DESC" ? `DESC: slot ${e.slot}, wrap ${wrapBit(e.wrap)}` : e.flagsName;
}

export interface PackedFields {
  readonly element: HTMLElement;
  /** The numbers, for a reader (throttled by the card). */
  paint(q: QueueView): void;
  /** What tests read, every update. */
  describe(card: HTMLElement, q: QueueView): void;
}

export function createPackedFields(): PackedFields {
  const { element: fields, values } = explainedFields<Field>("queue-fields packed-fields", FIELDS);
  // Wider columns than a split ring's (its values are longer), as many as the card holds.
  fields.style.gridTemplateColumns = "repeat(auto-fill, minmax(15.5rem, 1fr))";
  return {
    element: fields,
    paint(q) {
      const p = q.packed;
      if (!p) return;
      const text: Record<Field, string> = {
        desc: address(q.descAddr),
        driverArea: address(p.driverEventAddr),
        deviceArea: address(p.deviceEventAddr),
        driverEvent: eventWords(p.driverEvent),
        deviceEvent: eventWords(p.deviceEvent),
        nextAvail: `slot ${p.nextAvail}, wrap ${wrapBit(p.availWrap)}`,
        nextUsed: `slot ${p.nextUsed}, wrap ${wrapBit(p.usedWrap)}`,
        inFlight: `${q.inFlight} buffer${q.inFlight === 1 ? "" : "s"} in ${p.takenSlots} slot${p.takenSlots === 1 ? "" : "s"}`,
      };
      for (const [key] of FIELDS) setText(values[key], text[key]);
    },
    describe(card, q) {
      const p = q.packed;
      if (!p) return;
      setData(card, "nextAvail", String(p.nextAvail));
      setData(card, "availWrap", wrapBit(p.availWrap));
      setData(card, "nextUsed", String(p.nextUsed));
      setData(card, "usedWrap", wrapBit(p.usedWrap));
      setData(card, "takenSlots", String(p.takenSlots));
      setData(card, "driverEvent", eventWords(p.driverEvent));
      setData(card, "deviceEvent", eventWords(p.deviceEvent));
    },
  };
}

/** A small colour sample like the card's others; a tick is a corner triangle. */
function sample(colour: string, kind: string, corner?: "top-left" | "bottom-right"): HTMLElement {
  const s = swatch(colour, kind);
  if (corner) {
    s.style.borderRadius = "0";
    s.style.clipPath = corner === "top-left" ? "polygon(0 0, 100% 0, 0 100%)" : "polygon(100% 100%, 0 100%, 100% 0)";
  }
  return s;
}

/** The packed ring's legend: owners, the device's positions, and the two ticks. */
export function packedLegend(colours: Record<string, string>, marks: { avail: string; device: string; used: string }): HTMLElement {
  const box = el("p", "ring-legend");
  const item = (label: string, term: string, swatch: HTMLElement) => {
    const span = el("span", "legend-item");
    span.append(swatch, termLabel(term, label));
    return span;
  };
  const states = Object.entries(PACKED_LEGEND.states).map(([state, label]) => item(label, `packed.slot.${state}`, sample(colours[state] ?? "#888", "cell")));
  const [nextAvail, nextUsed, driverNext] = PACKED_LEGEND.marks;
  const [availTick, usedTick] = PACKED_LEGEND.ticks;
  box.replaceChildren(
    ...states,
    item(nextAvail, "packed.mark.nextAvail", sample(marks.device, "mark")),
    item(nextUsed, "packed.mark.nextUsed", sample(marks.used, "cell")),
    item(driverNext, "packed.mark.driverNext", sample(marks.avail, "mark")),
    item(availTick, "packed.tick.avail", sample(TICK_COLOUR, "cell", "top-left")),
    item(usedTick, "packed.tick.used", sample(TICK_COLOUR, "cell", "bottom-right")),
  );
  return box;
}

export interface LayoutParts {
  /** Shows the fields and legend of the queue's layout (and paints a packed ring's fields). */
  show(q: QueueView): void;
  /** A packed ring's data-* for tests. */
  describe(card: HTMLElement, q: QueueView): void;
}

/**
 * A queue's layout is known only once its ring is live (a packed device's queue reads as
 * split before). A packed ring's fields and legend join the card, after the split ring's,
 * the first time one shows up, so a split ring's card stays exactly as it was.
 */
export function createLayoutParts(
  splitFields: HTMLElement, splitLegend: HTMLElement, colours: Record<string, string>, marks: { avail: string; device: string; used: string },
): LayoutParts {
  let parts: { fields: PackedFields; legend: HTMLElement } | undefined;
  const partsFor = (q: QueueView) => {
    if (q.layout === "packed" && !parts) {
      parts = { fields: createPackedFields(), legend: packedLegend(colours, marks) };
      parts.fields.element.hidden = true;
      parts.legend.hidden = true;
      splitFields.after(parts.fields.element);
      splitLegend.after(parts.legend);
    }
    return parts;
  };
  return {
    show(q) {
      const packed = q.layout === "packed";
      const p = partsFor(q);
      setHidden(splitFields, packed);
      setHidden(splitLegend, packed);
      if (!p) return;
      setHidden(p.fields.element, !packed);
      setHidden(p.legend, !packed);
      if (packed) p.fields.paint(q);
    },
    describe(card, q) {
      partsFor(q)?.fields.describe(card, q);
    },
  };
}
