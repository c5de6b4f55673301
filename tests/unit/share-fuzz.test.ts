// Property tests of the share-link decoder: whatever a fragment holds, decoding returns
// null (not a share link), a content, or a ShareLinkError with a message, and never
// anything else; and it reaches the same outcome as a separately written reference
// decoder (tests/support/fuzz-share-oracle.ts, and fuzz-share-machine-oracle.ts for
// version 2's machines), so nothing that fails validation is ever accepted. Inputs:
// arbitrary strings, random base64, compressed arbitrary JSON and bytes, version-1
// configurations and version-2 contents valid and near-valid (one edit anywhere in the
// machine's tree), mutated valid links of both versions (flipped, cut, padded past 8 KiB),
// deflate bombs and contents at the 16 KiB limit, and round trips through the real encoder.
//
// 100,000 generated cases per run by default (issue 7), FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkCmdlineExtras, DISKS, MAX_SCRIPT_BYTES, NETWORKS, PANELS, POLICIES, ShareLinkError, type ShareConfig } from "../../src/share/share-config.js";
import { decodeShareFragment, encodeShareFragment, isShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { linkOf, referenceDecode, type Outcome } from "../support/fuzz-share-oracle.js";
import { linkRuleBreak, nearValidContent, validContent } from "../support/fuzz-share-content.js";

const budget = new CaseBudget();
// Fractions of the suite's cases; the streams make a decode that inflates cost ~0.5 ms, so
// the cheaper arbitrary fragments get the largest share.
const SHARES = { arbitrary: 0.45, compressed: 0.15, machines: 0.15, mutated: 0.17, limits: 0.03, roundTrip: 0.05 };
const runs = (part: keyof typeof SHARES) => budget.runs(SHARES[part]);
const timeout = (part: keyof typeof SHARES) => budget.timeout(SHARES[part]);
const accepted = { count: 0 };

/** What the real decoder does with `hash`; anything thrown but a ShareLinkError escapes. */
async function decode(hash: string): Promise<Outcome> {
  try {
    const config = await decodeShareFragment(hash);
    return config === null ? { kind: "not a link" } : { kind: "config", value: config };
  } catch (err) {
    if (!(err instanceof ShareLinkError)) throw err;
    // A clear error: a sentence, not an empty or runaway message.
    if (err.message.length < 10 || err.message.length > 400) expect.fail(`unclear error message: ${JSON.stringify(err.message)}`);
    return { kind: "refused" };
  }
}

/** Decodes `hash` and checks the outcome against the reference decoder. */
async function decodesLikeReference(part: string, hash: string): Promise<Outcome> {
  budget.count(part);
  const actual = await decode(hash);
  const expected = referenceDecode(hash);
  const same = actual.kind === expected.kind && (actual.kind !== "config" || canonical(actual.value) === canonical((expected as { value: unknown }).value));
  if (!same) expect(actual, `fragment ${JSON.stringify(hash.slice(0, 200))}`).toEqual(expected);
  if (actual.kind === "config") accepted.count++;
  return actual;
}

/** JSON with every object's keys sorted, so equal contents compare equal whatever their key order. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) :
    typeof v === "object" && v !== null ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(value));
}

const scriptChar = fc.constantFrom(..."\n\t", ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)));
const token = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._,:+/=-]{0,24}$/)
  .filter((t) => {
    try {
      checkCmdlineExtras(t);
      return true;
    } catch {
      return false;
    }
  });

const validConfig: fc.Arbitrary<ShareConfig> = fc.record({
  memoryMiB: fc.integer({ min: 128, max: 2048 }),
  disk: fc.constantFrom(...DISKS),
  network: fc.constantFrom(...NETWORKS),
  policy: fc.constantFrom(...POLICIES),
  cmdlineExtras: fc.array(token, { maxLength: 8 }).map((ts) => ts.join(" ")).filter((s) => s.length <= 256),
  script: fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: scriptChar, maxLength: 200 }) },
    // Near the 4 KiB limit: a generated piece repeated (generating 4096 characters one by one is slow).
    { weight: 1, arbitrary: fc.tuple(fc.string({ unit: scriptChar, minLength: 1, maxLength: 64 }), fc.integer({ min: MAX_SCRIPT_BYTES - 10, max: MAX_SCRIPT_BYTES }))
      .map(([piece, n]) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n)) },
  ),
  panel: fc.constantFrom(...PANELS),
});

/** Near-valid content: a valid configuration with one field replaced, added or removed. */
const mutatedContent: fc.Arbitrary<unknown> = fc.tuple(validConfig, fc.string({ maxLength: 14 }), fc.jsonValue({ maxDepth: 2 }), fc.nat(2)).map(
  ([config, key, value, how]) => {
    const record: Record<string, unknown> = { ...config };
    const keys = Object.keys(record);
    const target = how === 0 ? key : (keys[key.length % keys.length] ?? key);
    if (how === 2) delete record[target];
    else record[target] = value;
    return record;
  },
);

/**
 * A valid configuration with one field just off: a character that is not allowed slipped
 * into the script or the kernel parameters, a reserved parameter, a number at or past the
 * edge of its range, a choice spelled nearly right.
 */
const nearValid: fc.Arbitrary<Record<string, unknown>> = fc.tuple(
  validConfig,
  fc.oneof(
    fc.record({ field: fc.constantFrom("script", "cmdlineExtras"), at: fc.nat(), insert: fc.oneof(
      fc.constantFrom("\x7f", "\x00", "\r", "\x1b", "\u00a0", "\u2028", "\ud800", "\u{1F600}", " ", "  ", "=", "\"", "'", ";", "$"),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      fc.constantFrom("console=ttyS1", "init=/bin/sh", "ringside.x=1", "root=/dev/vda", "quiet", "panic=1", "ip=dhcp", "loglevel=9"),
    ) }),
    fc.record({ field: fc.constant("memoryMiB"), value: fc.constantFrom<unknown>(127, 128, 2048, 2049, 256.5, -256, 0, "256", null, 1e300, -0) }),
    fc.record({ field: fc.constantFrom("disk", "network", "policy", "panel"), value: fc.constantFrom<unknown>(
      "Host", "host ", "relay", "wss://example.org", "ws://x", "opfs\u0000", "memory", "Shared", "per_queue", "Terminal", "", null, ["host"]) }),
  ),
).map(([config, change]) => {
  const record: Record<string, unknown> = { ...config };
  if ("insert" in change) {
    const text = String(record[change.field]);
    const at = change.at % (text.length + 1);
    // A whole parameter goes in as its own word, so it is the name that is refused.
    const word = change.field === "cmdlineExtras" && /^[a-z]/.test(change.insert) && text !== "" ? ` ${change.insert}` : change.insert;
    record[change.field] = text.slice(0, at) + word + text.slice(at);
  } else {
    record[change.field] = change.value;
  }
  return record;
});

const utf8 = (text: string) => new TextEncoder().encode(text);
/**
 * Any code points, lone surrogates included, mostly ASCII. (Built by hand: fast-check's
 * "binary" string unit costs seconds to set up.)
 */
const anyText = (maxLength: number) => fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 0x7f }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }) }), { maxLength })
  .map((codes) => String.fromCodePoint(...codes));

describe("share link decoder properties", () => {
  afterAll(() => console.log(`${budget.summary("share fuzz")}; ${accepted.count} accepted`));

  it(`decodes arbitrary fragments like the reference (${runs("arbitrary")} runs)`, async () => {
    const fragment = fc.oneof(
      fc.string(),
      anyText(40).map((s) => `#demo=${s}`),
      fc.string({ unit: fc.constantFrom(..."AZaz09-_+/=.%$# "), maxLength: 300 }).map((s) => `#demo=1.${s}`),
      fc.uint8Array({ maxLength: 400 }).map((b) => `demo=1.${Buffer.from(b).toString("base64url")}`),
      fc.uint8Array({ maxLength: 400 }).map((b) => `#demo=2.${Buffer.from(b).toString("base64url")}`),
    );
    await fc.assert(fc.asyncProperty(fragment, async (hash) => { await decodesLikeReference("arbitrary", hash); }), { numRuns: runs("arbitrary") });
  }, timeout("arbitrary"));

  it(`decodes compressed arbitrary content like the reference (${runs("compressed")} runs)`, async () => {
    const bytes = fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => utf8(JSON.stringify(v) ?? "null")) },
      { weight: 4, arbitrary: mutatedContent.map((v) => utf8(JSON.stringify(v))) },
      { weight: 4, arbitrary: nearValid.map((v) => utf8(JSON.stringify(v))) },
      // Valid configurations spelled differently: whitespace, a byte-order mark, key order.
      { weight: 2, arbitrary: fc.tuple(validConfig, fc.constantFrom("", " ", "\n", "\uFEFF"), fc.boolean()).map(([c, pad, reverse]) =>
        utf8(pad + JSON.stringify(reverse ? Object.fromEntries(Object.entries(c).reverse()) : c, null, pad === " " ? 1 : undefined))) },
      { weight: 1, arbitrary: anyText(300).map(utf8) },
      // Not UTF-8 at all, or nearly: raw bytes.
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    );
    // Mostly version 1 (its configurations), some of it read as version 2.
    const link = fc.tuple(bytes, fc.integer({ min: 0, max: 9 }), fc.constantFrom(1, 1, 1, 2)).map(([b, level, version]) => linkOf(b, level, version));
    await fc.assert(fc.asyncProperty(link, async (hash) => { await decodesLikeReference("compressed", hash); }), { numRuns: runs("compressed") });
  }, timeout("compressed"));

  it(`decodes version-2 machines, valid and near-valid, like the reference (${runs("machines")} runs)`, async () => {
    const bytes = fc.oneof(
      { weight: 5, arbitrary: nearValidContent.map((v) => utf8(JSON.stringify(v))) },
      { weight: 2, arbitrary: linkRuleBreak.map((v) => utf8(JSON.stringify(v))) },
      { weight: 2, arbitrary: validContent.map((v) => utf8(JSON.stringify(v))) },
      // Contents with a field of any JSON at all, and version-1 configurations read as version 2.
      { weight: 1, arbitrary: fc.tuple(validContent, fc.constantFrom("machine", "cmdlineExtras", "script", "panel"), fc.jsonValue({ maxDepth: 3 }))
        .map(([c, k, v]) => utf8(JSON.stringify({ ...c, [k]: v }))) },
      { weight: 1, arbitrary: validConfig.map((v) => utf8(JSON.stringify(v))) },
    );
    const link = fc.tuple(bytes, fc.integer({ min: 0, max: 9 })).map(([b, level]) => linkOf(b, level, 2));
    await fc.assert(fc.asyncProperty(link, async (hash) => { await decodesLikeReference("machines", hash); }), { numRuns: runs("machines") });
  }, timeout("machines"));

  it(`decodes mutated valid links like the reference (${runs("mutated")} runs)`, async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), with: fc.oneof(fc.constantFrom(..."AQgw_-0+/=.#"), fc.string({ minLength: 1, maxLength: 1 })) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("pad" as const), count: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 8000, max: 9000 })) }),
      fc.record({ kind: fc.constant("prefix" as const), with: fc.constantFrom("", "#", "##demo=1.", "#demo=2.", "#demo=3.", "#demo=01.", "#demo=02.", "#Demo=1.", "#demo:1.", "#demo=1", "#demo=1..", "#demo==1.") }),
    );
    const either = fc.oneof(validConfig.map((c) => linkOf(utf8(JSON.stringify(c)))), validContent.map((c) => linkOf(utf8(JSON.stringify(c)), 6, 2)));
    const mutated = fc.tuple(either, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([link, ms]) => {
      let hash = link;
      for (const m of ms) {
        const at = "at" in m ? m.at % (hash.length + 1) : 0;
        if (m.kind === "replace") hash = hash.slice(0, at) + m.with + hash.slice(at + 1);
        else if (m.kind === "delete") hash = hash.slice(0, at) + hash.slice(at + m.count);
        else if (m.kind === "insert") hash = hash.slice(0, at) + m.text + hash.slice(at);
        else if (m.kind === "truncate") hash = hash.slice(0, at);
        else if (m.kind === "pad") hash += "A".repeat(m.count);
        else hash = m.with + hash.replace(/^#demo=[12]\./, "");
      }
      return hash;
    });
    await fc.assert(fc.asyncProperty(mutated, async (hash) => { await decodesLikeReference("mutated", hash); }), { numRuns: runs("mutated") });
  }, timeout("mutated"));

  it(`refuses deflate bombs and content past 16 KiB, accepts content up to it (${runs("limits")} runs)`, async () => {
    const content = fc.oneof(
      // A valid configuration or content padded with spaces to within 64 bytes of the limit, either side.
      fc.tuple(fc.oneof(validConfig, validContent), fc.integer({ min: -64, max: 64 })).map(([c, delta]) => {
        const json = JSON.stringify(c);
        return { version: "memoryMiB" in c ? 1 : 2, bytes: utf8(json + " ".repeat(Math.max(0, 16 * 1024 + delta - json.length))) };
      }),
      // A bomb: up to 256 KiB of one byte (16 times the limit), a few hundred bytes compressed.
      fc.tuple(fc.integer({ min: 16 * 1024 + 1, max: 256 * 1024 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(1, 2))
        .map(([n, b, version]) => ({ version, bytes: new Uint8Array(n).fill(b) })),
    );
    await fc.assert(fc.asyncProperty(content, async ({ version, bytes }) => {
      const outcome = await decodesLikeReference("limits", linkOf(bytes, 9, version));
      if (bytes.length > 16 * 1024) expect(outcome.kind).toBe("refused");
    }), { numRuns: runs("limits") });
  }, timeout("limits"));

  it(`round-trips every valid content through the real encoder (${runs("roundTrip")} runs)`, async () => {
    // Version 1 as the content it stands for (the page writes only version 2 now).
    const content = fc.oneof(validContent.map((c) => c as unknown as ShareContent), validConfig.map((c) => referenceDecode(linkOf(utf8(JSON.stringify(c)))))
      .map((o) => (o as { value: ShareContent }).value));
    await fc.assert(fc.asyncProperty(content, async (c) => {
      budget.count("round trip");
      const fragment = await encodeShareFragment(c);
      expect(fragment.length).toBeLessThanOrEqual(8192);
      const decoded = await decodeShareFragment(`#${fragment}`);
      // The reference decoder reads the encoder's links too, to the same content, and the
      // decoder gives back what it was given with the defaults filled in.
      const reference = referenceDecode(`#${fragment}`);
      expect(reference.kind).toBe("config");
      expect(canonical(decoded)).toBe(canonical((reference as { value: unknown }).value));
      expect(canonical(decoded)).toBe(canonical((referenceDecode(linkOf(utf8(JSON.stringify(c)), 6, 2)) as { value: unknown }).value));
    }), { numRuns: runs("roundTrip") });
  }, timeout("roundTrip"));

  it("reads a kernel's address like the reference when its port is no port (seed 354356270 found the first)", async () => {
    const content = (url: string) => ({
      machine: { version: 1, memoryMiB: 256, boot: { kind: "kernel", kernel: { kind: "url", url }, initrd: { kind: "bundled" } }, devices: [{ type: "virtio-console" }] },
      cmdlineExtras: "", script: "", panel: "terminal",
    });
    const outcomes: string[] = [];
    for (const url of ["https://exallle:akm/bzImage", "https://a.example:65536/k", "https://a.example:65535/k", "https://a.example:/k", "https://[::1]:8080/k", "https://a:b:1/k"]) {
      outcomes.push((await decodesLikeReference("examples", linkOf(utf8(JSON.stringify(content(url))), 6, 2))).kind);
    }
    expect(outcomes).toEqual(["refused", "refused", "config", "config", "config", "refused"]);
  });

  it("reads a loopback address in the URL Standard's other IPv4 forms like the reference (seed -1136701485 found 127.000.1)", async () => {
    const content = (url: string) => ({
      machine: { version: 1, memoryMiB: 256, boot: { kind: "kernel", kernel: { kind: "url", url }, initrd: { kind: "bundled" } }, devices: [{ type: "virtio-console" }] },
      cmdlineExtras: "", script: "", panel: "terminal",
    });
    const outcomes: string[] = [];
    for (const url of ["http://127.000.1:8080/bzImage", "http://0x7f.1/k", "http://2130706433/k", "http://127.0.0.256/k", "https://127.0.0.256/k", "http://10.0.0.1/k"]) {
      outcomes.push((await decodesLikeReference("examples", linkOf(utf8(JSON.stringify(content(url))), 6, 2))).kind);
    }
    expect(outcomes).toEqual(["config", "config", "config", "refused", "refused", "refused"]);
  });

  it(`ran at least ${budget.total} generated cases, and accepted some`, () => {
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
    expect(accepted.count).toBeGreaterThan(budget.total / 100);
  });
});

describe("share fuzzer findings", () => {
  it("a fragment with two leading # is not a share link, for the decoder as for isShareFragment", async () => {
    const link = linkOf(utf8(JSON.stringify({ memoryMiB: 256, disk: "none", network: "none", policy: "shared", cmdlineExtras: "", script: "", panel: "terminal" })));
    expect(await decodeShareFragment(link)).not.toBeNull();
    expect(isShareFragment(`#${link}`)).toBe(false);
    expect(await decodeShareFragment(`#${link}`)).toBeNull();
  });
});
