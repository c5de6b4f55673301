// How the page applies a share link: the link's machine replaces the address's machine
// options and boots on the page's command line plus the link's parameters, a version-1
// link boots the machine its options stand for, and the script becomes keystrokes.
import { describe, expect, it } from "vitest";
import { readShareLink, scriptKeystrokes } from "../../src/page/share-boot.js";
import { readPageOptions } from "../../src/page/page-options.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import { ShareLinkError, type ShareConfig } from "../../src/share/share-config.js";
import type { ShareContent } from "../../src/share/share-content.js";
import { PAGE_DISK, pageMachine, pageMachineOptions } from "../../src/share/page-machine.js";
import { version1Fragment } from "../support/share-v1.js";

const CONFIG: ShareConfig = {
  memoryMiB: 192, disk: "none", network: "host", policy: "per-queue", cmdlineExtras: "foo=1 bar", script: "echo share-$((6*7))", panel: "terminal",
};
const pci = { kind: "pci" as const };
const TWO_DISKS: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci },
      { type: "virtio-blk", transport: pci, options: { backend: { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }, readOnly: false } },
      { type: "virtio-blk", transport: pci, options: { backend: { kind: "memory", sizeMiB: 16 }, readOnly: false } },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "switch" }, policy: "shared", ip: "auto" } },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "per-queue", ip: "auto" } },
    ],
  },
  cmdlineExtras: "foo=1",
  script: "",
  panel: "inspector",
};

describe("booting from a share link", () => {
  it("is no link without a demo fragment", async () => {
    expect(await readShareLink("", "?net=switch")).toBeNull();
    expect(await readShareLink("#top", "")).toBeNull();
  });
  it("a version-1 link boots the machine its options stand for, its parameters after the page's", async () => {
    const link = await readShareLink(`#${await version1Fragment(CONFIG)}`, "");
    const options = { ...pageMachineOptions(undefined), memoryMiB: 192 };
    expect(link?.machine).toEqual({ ...pageMachine(options, undefined, { kind: "host", policy: "per-queue" }), cmdline: `${options.cmdline} foo=1 bar` });
    expect(link?.content).toMatchObject({ cmdlineExtras: "foo=1 bar", script: CONFIG.script, panel: "terminal" });
    const withDisk = await readShareLink(`#${await version1Fragment({ ...CONFIG, disk: "opfs", cmdlineExtras: "" })}`, "");
    expect(withDisk?.machine.cmdline).toBe(pageMachineOptions(PAGE_DISK).cmdline);
  });
  it("replaces ?net, ?policy, ?relay, ?disk and ?start, says which, and keeps ?thread and ?scheduler", async () => {
    const hash = `#${await version1Fragment(CONFIG)}`;
    const plain = await readShareLink(hash, "");
    expect(plain?.overridden).toEqual([]);
    expect(plain?.pageOptions).toEqual(readPageOptions("?disk=none&policy=per-queue&share=none"));
    const both = await readShareLink(hash, "?net=relay&relay=wss://x.example/&policy=shared&disk=opfs&scheduler=v86-default&start=snapshot&share=opfs");
    expect(both?.overridden).toEqual(["?net=relay", "?policy=shared", "?relay=wss://x.example/", "?disk=opfs", "?start=snapshot", "?share=opfs"]);
    // A link boots cold, as its machine says, never from the shipped snapshot.
    expect(both?.pageOptions).toEqual({
      thread: "worker", scheduler: "v86-default", jit: "ringside", disk: "none", network: { kind: "host", policy: "per-queue" }, start: "cold", boot: "kernel", share: "none", balloon: "on",
    });
    // Nor does ?boot: the link's machine says what boots.
    expect((await readShareLink(hash, "?boot=disk"))?.overridden).toEqual(["?boot=disk"]);
    // A bad value the link replaces does not matter any more.
    expect((await readShareLink(hash, "?net=wifi"))?.pageOptions.network.kind).toBe("host");
  });
  it("a version-2 link boots its own devices; the page's options follow its first card and its disks", async () => {
    const link = await readShareLink(`#${await encodeShareFragment(TWO_DISKS)}`, "?net=none");
    expect(link?.content).toEqual(TWO_DISKS);
    expect(link?.machine).toEqual({ ...TWO_DISKS.machine, cmdline: `${pageMachineOptions(PAGE_DISK).cmdline} foo=1` });
    expect(link?.overridden).toEqual(["?net=none"]);
    expect(link?.pageOptions).toMatchObject({ disk: "opfs", network: { kind: "switch", policy: "shared" } });
    // Memory disks only: no disk in this browser's storage, so ?thread=main can boot it.
    const inMemory = { ...TWO_DISKS, machine: { ...TWO_DISKS.machine, devices: TWO_DISKS.machine.devices.filter((d) => !(d.type === "virtio-blk" && d.options.backend.kind === "opfs")) } };
    expect((await readShareLink(`#${await encodeShareFragment(inMemory)}`, "?thread=main"))?.pageOptions).toMatchObject({ thread: "main", disk: "none" });
  });
  it("refuses a link whose disk the address's thread cannot have", async () => {
    for (const hash of [`#${await version1Fragment({ ...CONFIG, disk: "opfs" })}`, `#${await encodeShareFragment(TWO_DISKS)}`]) {
      await expect(readShareLink(hash, "?thread=main")).rejects.toThrow(ShareLinkError);
      await expect(readShareLink(hash, "?thread=main")).rejects.toThrow(/cannot boot with this address's options: .*needs \?thread=worker/);
      await expect(readShareLink(hash, "?thread=gpu")).rejects.toThrow(/\?thread must be/);
    }
  });
  it("types the script as keystrokes, entering its last line", () => {
    expect(scriptKeystrokes("")).toBe("");
    expect(scriptKeystrokes("echo a")).toBe("echo a\r");
    expect(scriptKeystrokes("echo a\n\techo b\n")).toBe("echo a\r\techo b\r");
  });
});
