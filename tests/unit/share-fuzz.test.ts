// Property tests of the share link codec: whatever a fragment holds, decoding returns a
// configuration, null (not a share link) or a ShareLinkError, never anything else; and any
// valid configuration survives a round trip. FUZZ_RUNS sets the number of runs per
// property (default 300; issue 7's long runs use 100000).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import { checkCmdlineExtras, DISKS, MAX_SCRIPT_BYTES, NETWORKS, PANELS, POLICIES, ShareLinkError, type ShareConfig } from "../../src/share/share-config.js";
import { decodeShareFragment, encodeShareFragment } from "../../src/share/share-link.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Decodes, turning the codec's own error into a value and letting anything else escape. */
async function decodeOrReason(hash: string): Promise<ShareConfig | null | string> {
  try {
    return await decodeShareFragment(hash);
  } catch (err) {
    if (err instanceof ShareLinkError) return err.message;
    throw err;
  }
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
    fc.string({ unit: scriptChar, maxLength: 200 }),
    fc.string({ unit: scriptChar, minLength: MAX_SCRIPT_BYTES - 10, maxLength: MAX_SCRIPT_BYTES }),
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

describe("share link codec properties", () => {
  it("never throws anything but its own error on arbitrary fragments", async () => {
    const fragment = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }).map((s) => `#demo=${s}`),
      fc.string({ unit: fc.constantFrom(..."AZaz09-_+/=.%$ "), maxLength: 300 }).map((s) => `#demo=1.${s}`),
      fc.uint8Array({ maxLength: 400 }).map((b) => `demo=1.${toBase64Url(b)}`),
    );
    await fc.assert(
      fc.asyncProperty(fragment, async (hash) => {
        const result = await decodeOrReason(hash);
        if (result !== null && typeof result !== "string") expect(Object.keys(result)).toHaveLength(7);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses or accepts compressed arbitrary content, never throwing anything else", async () => {
    const content = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
      mutatedContent.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(content, async (text) => {
        const hash = `#demo=1.${toBase64Url(await deflateRaw(new TextEncoder().encode(text)))}`;
        const result = await decodeOrReason(hash);
        // Whatever is accepted is exactly what was sent, re-read field by field.
        if (result !== null && typeof result !== "string") expect(result).toEqual(JSON.parse(text));
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips every valid configuration", async () => {
    await fc.assert(
      fc.asyncProperty(validConfig, async (config) => {
        const fragment = await encodeShareFragment(config);
        expect(fragment.length).toBeLessThanOrEqual(8192);
        expect(await decodeShareFragment(`#${fragment}`)).toEqual(config);
      }),
      { numRuns: RUNS },
    );
  });
});
