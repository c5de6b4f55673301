// What every field, state and counter in the inspector means, for someone learning
// virtio: a sentence or two and the section of the virtio 1.2 specification that defines
// it. Section numbers and titles are those of the OASIS text as tagged v1.2-cs01 in
// oasis-tcs/virtio-spec. The published HTML's anchors are generated ("x1-430007") and
// change between stages, so each section links twice: to its heading's line in the
// spec's source at that tag (scripts/spec-sections.ts finds them) and to the HTML
// document itself. Nothing here is fetched: a link opens only when clicked.
//
// Terms are ids such as "split.usedIdx" or "feature:VERSION_1"; the inspector marks each
// explained label with data-term (inspector-term.ts). The entries live in glossary-*.ts.
import { BUS_TERMS } from "./glossary-bus.js";
import { CONFIG_TEXT, DEVICE_SECTIONS, DEVICE_TERMS, deviceSection, featureFallback } from "./glossary-device.js";
import { RING_TERMS } from "./glossary-ring.js";

export { SPEC_URL, sectionName, sourceUrl, type Explanation, type SpecSection } from "./glossary-spec.js";
import type { Explanation, SpecSection } from "./glossary-spec.js";

/** Every fixed term, by id. */
export const GLOSSARY: ReadonlyMap<string, Explanation> = new Map([...RING_TERMS, ...DEVICE_TERMS, ...BUS_TERMS]);

/**
 * The explanation of `term`: a fixed entry, or for "feature:NAME" a device's feature bit
 * without an entry of its own (its device's "Feature bits" section), or for
 * "config:DEVICE.FIELD" a config field (the glossary's words for the main ones, else the
 * device's own from `about`).
 */
export function explain(term: string, about?: string): Explanation | undefined {
  const fixed = GLOSSARY.get(term);
  if (fixed) return fixed;
  if (term.startsWith("feature:")) return featureFallback(term.slice("feature:".length));
  if (term.startsWith("config:")) {
    const [device = "", field = ""] = term.slice("config:".length).split(/\.(.*)/s);
    const where = deviceSection(device);
    if (!where) return undefined;
    // The glossary's fuller words where it has them (the device's own stay in the config table beside).
    const more = CONFIG_TEXT[`${device}.${field}`];
    const own = about ? `${about}.` : `a field of the ${device} configuration space.`;
    return { text: `${field}: ${more ?? own}`, section: where.config };
  }
  return undefined;
}

/**
 * Every section an explanation can name, once each, in the specification's order: the
 * fixed entries', each device's (its feature, config and operation sections too) and the
 * generic feature bits' fallback.
 */
export function glossarySections(): SpecSection[] {
  const all = [...GLOSSARY.values()].map((e) => e.section);
  for (const d of Object.values(DEVICE_SECTIONS)) all.push(d.device, d.features, d.config, d.operation);
  const generic = explain("feature:bit 63");
  if (generic) all.push(generic.section);
  const unique = new Map(all.map((s) => [s.number, s]));
  const order = (n: string): number[] => n.split(".").map(Number);
  return [...unique.values()].sort((a, b) => {
    const [x, y] = [order(a.number), order(b.number)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
    return 0;
  });
}
