// The shape of a glossary entry and the one document entries point into.

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
