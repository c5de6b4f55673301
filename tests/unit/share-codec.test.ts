// The share link codec: every field survives a round trip, version-1 links still read (as
// the machine their options build), and every kind of bad link is refused with a message
// that says what was wrong. The version-2 machine's own rules: share-machine.test.ts.
import { describe, expect, it } from "vitest";
import { constants, deflateRawSync } from "node:zlib";
import { deflateRaw, fromBase64Url, inflateRawAtMost, readAtMost, toBase64Url } from "../../src/share/share-bytes.js";
import { ShareLinkError, type ShareConfig } from "../../src/share/share-config.js";
import { contentFromConfig, type ShareContent } from "../../src/share/share-content.js";
import { decodeShareFragment, encodeShareFragment, MAX_JSON_BYTES, shareUrl } from "../../src/share/share-link.js";
import { DEMOS } from "../../src/share/share-demos.js";
import { version1Fragment } from "../support/share-v1.js";

const CONFIG: ShareConfig = {
  memoryMiB: 192,
  disk: "opfs",
  network: "switch",
  policy: "per-queue",
  cmdlineExtras: "virtio_net.napi_tx=1 foo.bar=a,b:c/d+e-f",
  script: "echo share-$((6*7))\n\tcat /proc/meminfo | head -n 3 # ~!@#$%^&*()_+`'\"<>?|\\\n",
  panel: "inspector",
};
/** CONFIG as a version-2 link's content: the machine its options build. */
const CONTENT: ShareContent = contentFromConfig(CONFIG);

/** A fragment holding `json` as it is, bypassing the encoder's checks. */
async function fragmentOf(json: string | Uint8Array<ArrayBuffer>, version = "1"): Promise<string> {
  const bytes = typeof json === "string" ? new TextEncoder().encode(json) : json;
  return `#demo=${version}.${toBase64Url(await deflateRaw(bytes))}`;
}

async function rejection(hash: string): Promise<string> {
  try {
    await decodeShareFragment(hash);
  } catch (err) {
    expect(err).toBeInstanceOf(ShareLinkError);
    return (err as Error).message;
  }
  throw new Error(`${hash.slice(0, 80)} was accepted`);
}

function withField(field: string, value: unknown): string {
  return JSON.stringify({ ...CONFIG, [field]: value });
}

describe("share links: round trip", () => {
  it("keeps every field", async () => {
    const fragment = await encodeShareFragment(CONTENT);
    expect(fragment).toMatch(/^demo=2\.[A-Za-z0-9_-]+$/);
    expect(await decodeShareFragment(`#${fragment}`)).toEqual(CONTENT);
    expect(await decodeShareFragment(fragment)).toEqual(CONTENT);
  });
  it("gives equal links for equal contents, whatever the key order", async () => {
    const reorder = (v: unknown): unknown =>
      typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) :
      Array.isArray(v) ? v.map(reorder) : v;
    expect(await encodeShareFragment(reorder(CONTENT) as ShareContent)).toBe(await encodeShareFragment(CONTENT));
  });
  it("builds a page URL without the query", async () => {
    const url = await shareUrl("https://example.org/ringside/?net=switch&policy=per-queue#old", CONTENT);
    expect(url).toMatch(/^https:\/\/example\.org\/ringside\/#demo=2\./);
    expect(await decodeShareFragment(new URL(url).hash)).toEqual(CONTENT);
  });
  it("ignores fragments that are not share links", async () => {
    expect(await decodeShareFragment("")).toBeNull();
    expect(await decodeShareFragment("#")).toBeNull();
    expect(await decodeShareFragment("#section-2")).toBeNull();
  });
  it("encodes every gallery demo to a link that decodes to it", async () => {
    expect(DEMOS.map((d) => d.id)).toEqual(["download-shared", "download-per-queue", "disk-flush", "rng", "two-disks-two-cards", "packed-rings", "mmio-and-msix", "policies-side-by-side"]);
    for (const demo of DEMOS) expect(await decodeShareFragment(await encodeShareFragment(demo.content))).toEqual(demo.content);
    const cards = (i: number) => DEMOS[i]!.content.machine.devices.flatMap((d) => (d.type === "virtio-net" ? [d.options] : []));
    const disks = (i: number) => DEMOS[i]!.content.machine.devices.flatMap((d) => (d.type === "virtio-blk" ? [d.options.backend] : []));
    expect(cards(0)).toMatchObject([{ backend: { kind: "host" }, policy: "shared" }]);
    expect(DEMOS[0]!.content.panel).toBe("inspector");
    expect(cards(1)).toMatchObject([{ backend: { kind: "host" }, policy: "per-queue" }]);
    expect(disks(2)).toEqual([{ kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }]);
    expect(DEMOS[2]!.content.script).toMatch(/conv=fsync/);
    expect(DEMOS[3]!.content.script).toMatch(/\/dev\/hwrng/);
    expect(cards(3)).toEqual([]);
    expect(disks(4)).toEqual([{ kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }, { kind: "memory", sizeMiB: 16 }]);
    expect(cards(4)).toHaveLength(2);
    expect(DEMOS[4]!.content.script).toMatch(/\/dev\/vdb[\s\S]*10\.0\.3\.2/);
    // Each demo opens the inspector on its subject; the side-by-side one has a card per policy.
    for (const demo of DEMOS) expect([demo.id, demo.content.panel, demo.content.focus !== undefined]).toEqual([demo.id, "inspector", true]);
    expect(DEMOS[2]!.content.focus).toEqual({ device: "virtio-blk", queue: 0 });
    expect(cards(7)).toMatchObject([{ policy: "shared" }, { policy: "per-queue" }]);
    expect(DEMOS[7]!.content.focus).toEqual({ device: "virtio-net" });
  });
  it("refuses to encode a bad content", async () => {
    await expect(encodeShareFragment({ ...CONTENT, machine: { ...CONTENT.machine, memoryMiB: 64 } }))
      .rejects.toThrow(/the link's machine: memoryMiB must be an integer from 128 to 2048 \(got 64\)/);
  });
});

describe("share links: the inspector's focus", () => {
  const focused = (focus: unknown): string => JSON.stringify({ ...CONTENT, focus });
  it("survives a round trip, and a link without one (made before it existed) still reads", async () => {
    const content: ShareContent = { ...CONTENT, focus: { device: "virtio-blk", queue: 0 } };
    expect(await decodeShareFragment(await encodeShareFragment(content))).toEqual(content);
    expect(await decodeShareFragment(await fragmentOf(JSON.stringify(CONTENT), "2"))).not.toHaveProperty("focus");
  });
  it("is refused with its reason when it is not an object, names an unknown or absent device, or a bad queue", async () => {
    expect(await rejection(await fragmentOf(focused("virtio-blk"), "2"))).toMatch(/focus must be an object with a device/);
    expect(await rejection(await fragmentOf(focused({ device: "virtio-gpu" }), "2"))).toMatch(/focus\.device must be one of "virtio-console", .* not "virtio-gpu"/);
    expect(await rejection(await fragmentOf(focused({ device: "virtio-9p" }), "2"))).toMatch(/focus\.device is "virtio-9p", but the link's machine has no such device/);
    for (const queue of [-1, 64, 1.5, "0", null]) {
      expect(await rejection(await fragmentOf(focused({ device: "virtio-net", queue }), "2"))).toMatch(/focus\.queue must be a whole number from 0 to 63/);
    }
    expect(await rejection(await fragmentOf(focused({ device: "virtio-net", colour: 1 }), "2"))).toMatch(/focus has unknown fields: "colour"/);
    await expect(encodeShareFragment({ ...CONTENT, focus: { device: "virtio-balloon" } })).rejects.toThrow(/has no such device/);
  });
});

describe("share links: version 1 still opens", () => {
  it("as the machine the page's options build: console, rng, the page's disk, one card", async () => {
    const content = await decodeShareFragment(`#${await version1Fragment(CONFIG)}`);
    const pci = { kind: "pci" };
    expect(content).toEqual({
      machine: {
        version: 1,
        memoryMiB: 192,
        devices: [
          { type: "virtio-console", transport: pci },
          { type: "virtio-rng", transport: pci },
          { type: "virtio-blk", transport: pci, options: { backend: { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }, readOnly: false } },
          { type: "virtio-net", transport: pci, options: { backend: { kind: "switch" }, policy: "per-queue", ip: "auto" } },
        ],
      },
      cmdlineExtras: CONFIG.cmdlineExtras,
      script: CONFIG.script,
      panel: "inspector",
    });
    // No disk, no network: neither device.
    const bare = await decodeShareFragment(`#${await version1Fragment({ ...CONFIG, disk: "none", network: "none" })}`);
    expect(bare?.machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng"]);
  });
  it("and a page that re-shares it gives a version-2 link of the same machine", async () => {
    const content = await decodeShareFragment(`#${await version1Fragment(CONFIG)}`);
    expect(await decodeShareFragment(await encodeShareFragment(content!))).toEqual(content);
  });
});

describe("share links: bad input is refused with its reason", () => {
  it("an unknown or missing version", async () => {
    expect(await rejection("#demo=3.AAAA")).toMatch(/version 3; this page reads versions 1 and 2/);
    expect(await rejection(await fragmentOf(JSON.stringify(CONTENT), "3"))).toMatch(/version 3; this page reads versions 1 and 2/);
    // Each version's content is read only as that version: a configuration is not a version-2 content, nor the reverse.
    expect(await rejection(await fragmentOf(JSON.stringify(CONFIG), "2"))).toMatch(/unknown fields: "memoryMiB", "disk", "network", "policy"/);
    expect(await rejection(await fragmentOf(JSON.stringify(CONTENT), "1"))).toMatch(/unknown fields: "machine"/);
    expect(await rejection("#demo=01.AAAA")).toMatch(/version 01/);
    expect(await rejection("#demo=AAAA")).toMatch(/has no version/);
    expect(await rejection("#demo=")).toMatch(/has no version/);
  });
  it("bad base64", async () => {
    expect(await rejection("#demo=1.abc$def")).toMatch(/not base64url: it has the character "\$"/);
    expect(await rejection("#demo=1.ab+/")).toMatch(/not base64url: it has the character "\+"/);
    expect(await rejection("#demo=1.AAAA=")).toMatch(/not base64url/);
    expect(await rejection("#demo=1.abcde")).toMatch(/length is impossible/);
    expect(await rejection("#demo=1.AB")).toMatch(/not canonical/);
    expect(() => fromBase64Url("A%41")).toThrow(ShareLinkError);
  });
  it("data that is not deflate, not UTF-8 or not JSON", async () => {
    expect(await rejection("#demo=1.AAAAAAAA")).toMatch(/not valid deflate-compressed data/);
    expect(await rejection("#demo=1.")).toMatch(/not valid deflate-compressed data/);
    const good = await encodeShareFragment(CONTENT);
    expect(await rejection(`#${good.slice(0, -6)}`)).toMatch(/not valid deflate|not base64url/);
    expect(await rejection(await fragmentOf(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toMatch(/not UTF-8/);
    expect(await rejection(await fragmentOf("{memoryMiB: 192"))).toMatch(/not JSON: it starts "\{memoryMiB: 192"/);
    expect(await rejection(await fragmentOf("[1,2]"))).toMatch(/must be an object/);
    expect(await rejection(await fragmentOf("null"))).toMatch(/must be an object/);
  });
  it("missing and unknown fields", async () => {
    const { script: _, ...noScript } = CONFIG;
    expect(await rejection(await fragmentOf(JSON.stringify(noScript)))).toMatch(/lacks fields: script/);
    expect(await rejection(await fragmentOf("{}"))).toMatch(/lacks fields: memoryMiB, disk, network, policy, cmdlineExtras, script, panel/);
    expect(await rejection(await fragmentOf(withField("colour", "red")))).toMatch(/unknown fields: "colour"/);
    expect(await rejection(await fragmentOf(withField("__proto__", 1)))).toMatch(/unknown fields: "__proto__"/);
  });
  it("out-of-range and mistyped values", async () => {
    for (const memory of [127, 2049, 192.5, "192", null]) {
      expect(await rejection(await fragmentOf(withField("memoryMiB", memory)))).toMatch(/memoryMiB must be a whole number from 128 to 2048/);
    }
    expect(await rejection(await fragmentOf(withField("disk", "file")))).toMatch(/disk must be "opfs" or "none", not "file"/);
    expect(await rejection(await fragmentOf(withField("network", "wifi")))).toMatch(/network must be "host" or "switch" or "none", not "wifi"/);
    expect(await rejection(await fragmentOf(withField("policy", 3)))).toMatch(/policy must be "shared" or "per-queue", not 3/);
    expect(await rejection(await fragmentOf(withField("panel", "<script>alert(1)</script>")))).toMatch(/panel must be .* not "<script>alert\(1\)<\/script>"/);
    expect(await rejection(await fragmentOf(withField("script", 42)))).toMatch(/script must be text/);
  });
  it("a relay, in any form", async () => {
    expect(await rejection(await fragmentOf(withField("network", "relay")))).toMatch(/cannot be a relay/);
    expect(await rejection(await fragmentOf(withField("network", "wss://evil.example/")))).toMatch(/cannot be a relay/);
    expect(await rejection(await fragmentOf(withField("relay", "wss://evil.example/")))).toMatch(/cannot carry a relay address/);
  });

  it("a wisp server or fetch(): both would make the reader's browser connect where the link says", async () => {
    expect(await rejection(await fragmentOf(withField("network", "wisp")))).toMatch(/network cannot be a wisp server in a share link: it would make this browser connect to a server the link chose/);
    expect(await rejection(await fragmentOf(withField("wisp", "wss://evil.example/")))).toMatch(/cannot carry a wisp server's address/);
    expect(await rejection(await fragmentOf(withField("network", "fetch")))).toMatch(/network cannot be fetch in a share link: the link's guest would make this browser send requests/);
  });
  it("a script too long or with control characters", async () => {
    expect(await rejection(await fragmentOf(withField("script", "x".repeat(4097))))).toMatch(/script is 4097 characters long; at most 4096/);
    expect(await decodeShareFragment(await fragmentOf(withField("script", "x".repeat(4096))))).toMatchObject({ script: "x".repeat(4096) });
    expect(await rejection(await fragmentOf(withField("script", "echo hi\x1b[2J")))).toMatch(/forbidden character \(U\+001B\) at position 7/);
    expect(await rejection(await fragmentOf(withField("script", "ls\r\n")))).toMatch(/U\+000D/);
    expect(await rejection(await fragmentOf(withField("script", "echo \u00e9")))).toMatch(/U\+00E9/);
    expect(await rejection(await fragmentOf(withField("script", "\x03")))).toMatch(/U\+0003/);
    expect(await rejection(await fragmentOf(withField("script", "\u{1F600}\x01")))).toMatch(/U\+1F600\) at position 0/);
  });
  it("kernel parameters with forbidden characters, or ones the page sets", async () => {
    for (const extras of ["a;reboot", "a  b", " a", "a ", "a\tb", "x=\"y z\"", "$(id)", "a\nb"]) {
      expect(await rejection(await fragmentOf(withField("cmdlineExtras", extras)))).toMatch(/cmdlineExtras has a forbidden parameter/);
    }
    for (const extras of ["init=/bin/sh", "console=tty0", "ringside.disk=persistent", "a ip=1.2.3.4", "rdinit=/x"]) {
      expect(await rejection(await fragmentOf(withField("cmdlineExtras", extras)))).toMatch(/may not set .*a link can only add parameters/);
    }
    expect(await rejection(await fragmentOf(withField("cmdlineExtras", "a".repeat(257))))).toMatch(/at most 256/);
  });
  it("an oversized link", async () => {
    expect(await rejection(`#demo=1.${"A".repeat(9000)}`)).toMatch(/too long: 9007 characters after "#", at most 8192/);
  });
  it("a decompression bomb in a link: refused at the inflated-size limit", async () => {
    const bomb = await fragmentOf(new Uint8Array(4 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(8192);
    expect(await rejection(bomb)).toMatch(new RegExp(`inflates to more than ${MAX_JSON_BYTES} bytes`));
  });
});

describe("share links: inflation stops at the limit", () => {
  it("stops feeding a 16 GiB bomb after a few compressed bytes", async () => {
    // 1024 self-contained 16 MiB blocks of zeros and an empty final block: 16 GiB inflated
    // from 16 MiB, which would take far longer than the limit below to inflate in full.
    const block = deflateRawSync(new Uint8Array(16 * 1024 * 1024), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
    const blocks = 1024;
    const bomb = new Uint8Array(block.length * blocks + 2);
    for (let i = 0; i < blocks; i++) bomb.set(block, i * block.length);
    bomb.set([0x03, 0x00], block.length * blocks);
    let fed = 0;
    const started = performance.now();
    await expect(inflateRawAtMost(bomb, MAX_JSON_BYTES, (n) => (fed = n))).rejects.toThrow(/inflates to more than 16384 bytes/);
    // What the stream buffers on its input side (Node: 16 KiB), not the bomb's size.
    expect(fed).toBeLessThan(64 * 1024);
    expect(performance.now() - started).toBeLessThan(5000);
    // The same blocks within the limit inflate correctly.
    const small = new Uint8Array(deflateRawSync(new Uint8Array(1000)));
    expect(await inflateRawAtMost(small, MAX_JSON_BYTES)).toEqual(new Uint8Array(1000));
  });
  it("reads an endless stream only until the limit, then cancels it", async () => {
    let pulls = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        pulls++;
        controller.enqueue(new Uint8Array(1000));
      },
      cancel: () => {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    await expect(readAtMost(endless.getReader(), 16384, () => new ShareLinkError("too much"))).rejects.toThrow("too much");
    expect(pulls).toBeLessThanOrEqual(18);
    expect(cancelled).toBe(true);
  });
});
