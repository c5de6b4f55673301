// What a share link may boot: the bundled kernel and initrd, or ones at addresses the page
// may fetch (https; plain http to this computer only), never a file on this computer, a file
// of this browser's storage or a disk; each refusal names the field. The banner's words name
// the addresses, and a disk is not promised at /mnt to another userspace. The Share button
// gives a link for a machine booted from addresses and none for one booted from a picked file.
import { describe, expect, it } from "vitest";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import { ShareLinkError } from "../../src/share/share-config.js";
import { contentOfMachine, type ShareContent } from "../../src/share/share-content.js";
import { decodeShareFragment, encodeShareFragment } from "../../src/share/share-link.js";
import { describeShareContent } from "../../src/share/share-words.js";
import { bootUrls, runsRingsideUserspace } from "../../src/share/boot-words.js";
import { linkBootMachine } from "../../src/share/link-machine.js";
import { PAGE_DISK, pageMachine, pageMachineOptions } from "../../src/share/page-machine.js";
import type { BootDescription } from "../../src/description/machine-description.js";

const K = "https://example.com/v6.1/bzImage";
const I = "https://example.com/v6.1/initrd.img";

function content(boot: unknown, disk = false): ShareContent {
  const d = disk ? PAGE_DISK : undefined;
  const { cmdline: _, ...machine } = pageMachine(pageMachineOptions(d), d, { kind: "host" });
  return { machine: { ...machine, ...(boot === undefined ? {} : { boot: boot as BootDescription }) }, cmdlineExtras: "", script: "", panel: "terminal" };
}

async function decodeRaw(value: unknown): Promise<ShareContent | null> {
  return decodeShareFragment(`#demo=2.${toBase64Url(await deflateRaw(new TextEncoder().encode(JSON.stringify(value))))}`);
}

async function refusal(boot: unknown): Promise<string> {
  try {
    await decodeRaw(content(boot));
  } catch (err) {
    expect(err).toBeInstanceOf(ShareLinkError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(boot)} was accepted`);
}

describe("a share link's kernel and initrd", () => {
  it("round-trips addresses and the bundled images, and boots them on the page's command line", async () => {
    for (const boot of [
      { kind: "kernel", kernel: { kind: "url", url: K }, initrd: { kind: "url", url: I } },
      { kind: "kernel", kernel: { kind: "url", url: K } },
      { kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "url", url: "http://127.0.0.1:8000/initrd.img" } },
      { kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "bundled" } },
    ] as const) {
      const c = content(boot, true);
      expect(await decodeShareFragment(await encodeShareFragment(c))).toEqual(c);
      expect(linkBootMachine(c.machine, "").boot).toEqual(boot);
    }
    // A link of the page's usual machine has no boot at all (links made before stay as they were).
    expect(await decodeShareFragment(await encodeShareFragment(content(undefined)))).toEqual(content(undefined));
  });

  it("refuses a file, this browser's storage, plain http to another computer and a disk boot, naming the field", async () => {
    expect(await refusal({ kind: "kernel", kernel: { kind: "file", path: "/boot/vmlinuz" } })).toMatch(
      /^the link's machine: boot\.kernel\.kind must be "bundled" or "url": a share link cannot name a file on this computer or in this browser's storage \(got "file"\)$/,
    );
    expect(await refusal({ kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "opfs", name: "ringside-boot.initrd.00000000.img" } })).toMatch(/boot\.initrd\.kind must be "bundled" or "url"/);
    expect(await refusal({ kind: "kernel", kernel: { kind: "url", url: "http://example.com/bzImage" } })).toBe(
      'the link\'s machine: boot.kernel.url must be https:// (plain http:// only for this computer: 127.0.0.1, [::1] or localhost) (got "http://example.com/bzImage")',
    );
    expect(await refusal({ kind: "kernel", kernel: { kind: "url", url: "https://me:secret@example.com/k" } })).toMatch(/boot\.kernel\.url must be an address without a user name or password/);
    expect(await refusal({ kind: "kernel", kernel: { kind: "url", url: "ftp://example.com/k" } })).toMatch(/boot\.kernel\.url must be an http:\/\/ or https:\/\/ address/);
    expect(await refusal({ kind: "disk" })).toMatch(/boot/);
    const disk = await decodeRaw(content({ kind: "disk" }, true)).catch((e: Error) => e.message);
    expect(disk).toBe('the link\'s machine: boot.kind must be "kernel" in a share link (the bundled kernel or one from an https address) (got "disk")');
    expect(await refusal({ kind: "kernel" })).toMatch(/boot\.kernel/);
  });

  it("is described with its addresses, and another initrd is not promised the disk at /mnt", () => {
    const boot = { kind: "kernel", kernel: { kind: "url", url: K }, initrd: { kind: "url", url: I } } as const;
    expect(describeShareContent(content(boot, true))).toBe(
      `256 MiB of memory, host network with the shared notification channel, this browser's disk (mounted at /mnt by ringside's userspace only), kernel from ${K}, initrd from ${I}, terminal panel open`,
    );
    expect(describeShareContent(content({ kind: "kernel", kernel: { kind: "url", url: K }, initrd: { kind: "bundled" } }, true))).toBe(
      `256 MiB of memory, host network with the shared notification channel, this browser's disk at /mnt, kernel from ${K}, the bundled initrd, terminal panel open`,
    );
    expect(bootUrls(boot)).toEqual({ kernel: K, initrd: I });
    expect(bootUrls(undefined)).toEqual({});
    expect([runsRingsideUserspace(undefined), runsRingsideUserspace(boot), runsRingsideUserspace({ kind: "kernel", kernel: { kind: "bundled" } })]).toEqual([true, false, false]);
  });

  it("is shared for a machine booted from addresses, and not for one booted from a picked file", async () => {
    const running = { ...pageMachine(pageMachineOptions(undefined), undefined, { kind: "host" }) };
    const fromUrls = contentOfMachine({ ...running, boot: { kind: "kernel", kernel: { kind: "url", url: K } } }, "", "terminal");
    expect((await decodeShareFragment(await encodeShareFragment(fromUrls)))?.machine.boot).toEqual({ kind: "kernel", kernel: { kind: "url", url: K } });
    const picked = contentOfMachine({ ...running, boot: { kind: "kernel", kernel: { kind: "opfs", name: "ringside-boot.kernel.00000000.img" } } }, "", "terminal");
    await expect(encodeShareFragment(picked)).rejects.toThrow(/boot\.kernel\.kind must be "bundled" or "url"/);
  });
});
