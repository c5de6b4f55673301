// The inspector explains itself: every label it marks with a glossary term has an
// explanation with a section of the virtio 1.2 specification and a link, nothing the
// page's source names is missing, and each device's feature bits and config fields are
// covered (by an entry of their own or the device's section). Every section links its
// heading's line in the specification's source at v1.2-cs01, and the script that finds
// those lines numbers a LaTeX tree as the specification does.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { explain, GLOSSARY, glossarySections, SPEC_URL, sourceUrl } from "../../src/page/glossary.js";
import { SPEC_SOURCE } from "../../src/page/glossary-spec-source.js";
import { walkHeadings } from "../../scripts/spec-sections.js";
import { CONFIG_TEXT, DEVICE_SECTIONS } from "../../src/page/glossary-device.js";
import { QUEUE_TERMS } from "../../src/page/inspector-queue-parts.js";
import { PACKED_FIELDS } from "../../src/page/inspector-packed-fields.js";
import { DEVICE_HEADER_TERMS, STATUS_BITS } from "../../src/page/inspector-device-parts.js";
import { PCI_COLUMNS } from "../../src/page/inspector-pci.js";
import { MMIO_COLUMNS } from "../../src/page/inspector-mmio.js";
import { PACKED_LEGEND } from "../../src/page/inspector-ring-packed.js";
import { RATE_SERIES } from "../../src/page/inspector-rates.js";
import { featureNames, statusNames } from "../../src/virtio/features.js";
import { NET_INFO } from "../../src/devices/virtio-net.js";
import { BLK_INFO } from "../../src/devices/blk-spec.js";
import { CONSOLE_INFO } from "../../src/devices/virtio-console.js";
import { RNG_INFO } from "../../src/devices/virtio-rng.js";
import { BALLOON_INFO } from "../../src/devices/balloon-spec.js";
import { ninepInfo } from "../../src/devices/virtio-9p.js";

const DEVICES = [NET_INFO, BLK_INFO, CONSOLE_INFO, RNG_INFO, BALLOON_INFO, ninepInfo(4)];

function expectExplained(term: string): void {
  const entry = explain(term);
  expect(entry, `no explanation for ${term}`).toBeDefined();
  expect(entry!.text.length, term).toBeGreaterThan(15);
  expect(entry!.section.number, term).toMatch(/^\d+(\.\d+)*$/);
  expect(entry!.section.title.length, term).toBeGreaterThan(3);
}

describe("the inspector's glossary", () => {
  it("gives every entry a sentence and a section, and one title per section number", () => {
    expect(SPEC_URL).toMatch(/^https:\/\/docs\.oasis-open\.org\/virtio\/virtio\/v1\.2\/virtio-v1\.2\.html$/);
    const titles = new Map<string, string>();
    for (const [term, entry] of GLOSSARY) {
      expectExplained(term);
      const seen = titles.get(entry.section.number);
      if (seen) expect(entry.section.title, `section ${entry.section.number} (${term})`).toBe(seen);
      titles.set(entry.section.number, entry.section.title);
    }
    expect(titles.get("2.7.8")).toBe("The Virtqueue Used Ring");
    expect(titles.get("2.1")).toBe("Device Status Field");
    expect(GLOSSARY.size).toBeGreaterThan(80);
  });

  it("explains every term the inspector's parts use", () => {
    const terms = [
      ...QUEUE_TERMS, ...PACKED_FIELDS.map(([, , t]) => t), ...DEVICE_HEADER_TERMS, ...PCI_COLUMNS.map(([, t]) => t), ...MMIO_COLUMNS.map(([, t]) => t),
      ...Object.keys(PACKED_LEGEND.states).map((s) => `packed.slot.${s}`),
    ];
    expect(terms.length).toBeGreaterThan(60);
    for (const term of terms) expectExplained(term);
    // Every chart series has a counter row, every status bit the model names has a chip.
    for (const s of RATE_SERIES) expect(QUEUE_TERMS).toContain(`counter.${s.key}`);
    for (const name of statusNames(0xff).filter((n) => !n.startsWith("bit "))) expect(STATUS_BITS).toContain(name);
  });

  it("has an entry for every term written literally in the inspector's source", () => {
    const dir = join(__dirname, "../../src/page");
    const files = readdirSync(dir).filter((f) => /^inspector-.*\.ts$/.test(f));
    const literal = /"((?:split|packed|slot|counter|queue|chart|device|pci|mmio)\.[A-Za-z.]+|(?:status|feature):[A-Z_0-9]+)"/g;
    const found = new Set<string>();
    for (const f of files) for (const m of readFileSync(join(dir, f), "utf8").matchAll(literal)) found.add(m[1]!);
    expect(found.size).toBeGreaterThan(40);
    for (const term of found) expectExplained(term);
  });

  it("explains every feature bit, the generic ones by name and each device's by its own entry or its device's section", () => {
    for (const name of featureNames((1n << 42n) - (1n << 24n))) {
      if (!name.startsWith("bit ")) expect(GLOSSARY.has(`feature:${name}`), name).toBe(true);
    }
    for (const info of DEVICES) {
      const sections = DEVICE_SECTIONS[info.name];
      expect(sections, info.name).toBeDefined();
      expectExplained(`figures:${info.name}`);
      for (const [, name] of info.featureNames) {
        expectExplained(`feature:${name}`);
        if (!GLOSSARY.has(`feature:${name}`)) expect(explain(`feature:${name}`)!.section).toEqual(sections!.features);
      }
    }
    // A bit without an entry of its own falls back to its device's feature section, or the generic one.
    expect(explain("feature:NET_F_RSS")).toEqual({
      text: "VIRTIO_NET_F_RSS: a feature bit of virtio-net; its meaning is listed in the device's feature bits.",
      section: { number: "5.1.3", title: "Feature bits" },
    });
    expect(explain("feature:bit 50")!.section).toEqual({ number: "2.2", title: "Feature Bits" });
    expect(explain("feature:NET_F_MAC")!.text).toMatch(/mac/);
  });

  it("explains every config field from the device's own words and points at its device's config layout", () => {
    for (const info of DEVICES) {
      for (const field of info.config) {
        const entry = explain(`config:${info.name}.${field.name}`, field.about);
        expect(entry, `${info.name}.${field.name}`).toBeDefined();
        expect(entry!.section).toEqual(DEVICE_SECTIONS[info.name]!.config);
        if (field.about && !CONFIG_TEXT[`${info.name}.${field.name}`]) expect(entry!.text).toBe(`${field.name}: ${field.about}.`);
      }
    }
    expect(explain("config:virtio-net.mac", "the card's address")).toEqual({
      text: "mac: The card's Ethernet address, which the driver adopts when NET_F_MAC is negotiated.",
      section: { number: "5.1.4", title: "Device configuration layout" },
    });
    expect(explain("config:virtio-unknown.x")).toBeUndefined();
    expect(explain("no.such.term")).toBeUndefined();
  });

  it("links every section's heading in the specification's source at v1.2-cs01, under the same title", () => {
    const sections = glossarySections();
    expect(sections.length).toBeGreaterThan(50);
    for (const s of sections) {
      const url = sourceUrl(s);
      const shape = /^https:\/\/github\.com\/oasis-tcs\/virtio-spec\/blob\/v1\.2-cs01\/([a-z][a-z0-9/-]*\.tex)#L([1-9]\d*)$/.exec(url ?? "");
      expect(shape, `§${s.number}: ${url}`).not.toBeNull();
      expect(SPEC_SOURCE[s.number]!.title, `§${s.number}`).toBe(s.title);
    }
    expect(sourceUrl({ number: "2.7.6", title: "The Virtqueue Available Ring" })).toBe("https://github.com/oasis-tcs/virtio-spec/blob/v1.2-cs01/split-ring.tex#L293");
    // Every explanation, fixed or made up for a feature bit or config field, names one of them.
    const listed = new Set(sections.map((s) => s.number));
    for (const term of ["feature:NET_F_RSS", "feature:bit 50", "config:virtio-blk.capacity", "config:virtio-9p.tag", ...GLOSSARY.keys()]) {
      expect(listed, term).toContain(explain(term)!.section.number);
    }
  });

  it("numbers the specification's headings as LaTeX does, through \\input and requirement headings", () => {
    const tree: Record<string, string> = {
      "main.tex": "\\chapter{Introduction}\n% \\section{Commented out}\n\\input{content}\n\\appendix\n\\chapter{Header}",
      "content.tex": [
        "\\chapter{Basic Facilities}\\label{x}",
        "\\section{\\field{Device Status} Field}",
        "\\drivernormative{\\subsection}{Device Status Field}{label}",
        "\\subsection*{Not numbered}",
        "\\begin{lstlisting}", "\\section{In an example}", "\\end{lstlisting}",
        "\\subsection{Legacy Interface: A \\field{flags}",
        "  Note}",
        "\\paragraph{Deep}",
      ].join("\n"),
    };
    const headings = walkHeadings((f) => tree[f] ?? "");
    expect(headings.map((h) => `${h.number} ${h.title} ${h.file}:${h.line}`)).toEqual([
      "1 Introduction main.tex:1",
      "2 Basic Facilities content.tex:1",
      "2.1 Device Status Field content.tex:2",
      "2.1.1 Driver Requirements: Device Status Field content.tex:3",
      "2.1.2 Legacy Interface: A flags Note content.tex:8",
      "2.1.2.0.1 Deep content.tex:10",
      "A Header main.tex:5",
    ]);
  });
});
