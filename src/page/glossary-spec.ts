// The shape of a glossary entry and the two places an entry points into: the published
// HTML of the specification (its anchors are generated, "#x1-430007", so it opens at the
// top) and the section's own lines in the specification's LaTeX source at the tag the
// HTML was built from (GitHub's line anchors, table in glossary-spec-source.ts).
import { SPEC_SOURCE, SPEC_SOURCE_TAG } from "./glossary-spec-source.js";

/** The published HTML of virtio 1.2 (Committee Specification 01, 1 July 2022). */
export const SPEC_URL = "https://docs.oasis-open.org/virtio/virtio/v1.2/virtio-v1.2.html";

export interface SpecSection {
  /** "2.7.8" */
  readonly number: string;
  /** "The Virtqueue Used Ring", as the specification titles it. */
  readonly title: string;
}

export interface Explanation {
  /** One or two plain sentences. */
  readonly text: string;
  readonly section: SpecSection;
}

/** Shorthand for the entry tables: section number and title. */
export const sec = (number: string, title: string): SpecSection => ({ number, title });

/** "virtio 1.2 §2.7.8 The Virtqueue Used Ring" */
export function sectionName(s: SpecSection): string {
  return `virtio 1.2 §${s.number} ${s.title}`;
}

/** "https://github.com/oasis-tcs/virtio-spec/blob/v1.2-cs01/split-ring.tex#L293", or undefined for a section not in the table. */
export function sourceUrl(s: SpecSection): string | undefined {
  const at = SPEC_SOURCE[s.number];
  return at && `https://github.com/oasis-tcs/virtio-spec/blob/${SPEC_SOURCE_TAG}/${at.file}#L${at.line}`;
}
