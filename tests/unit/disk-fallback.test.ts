// A share link's machine whose disk another tab holds boots without it: the disks in this
// browser's storage go, with the command line's word that names the first disk the
// persistent one; disks in memory and every other device stay, in order.
import { describe, expect, it } from "vitest";
import { DISK_IN_OTHER_TAB, withoutBrowserDisks } from "../../src/page/disk-fallback.js";
import { DEMOS } from "../../src/share/share-demos.js";
import { linkBootMachine } from "../../src/share/link-machine.js";
import { DISK_IN_USE_ERROR, isDiskInUse } from "../../src/util/disk-in-use.js";
import { DiskInUseError } from "../../src/backends/opfs-sync-handle.js";

describe("booting a link without the disk another tab holds", () => {
  it("leaves out the browser's disks and the persistent-disk word, keeps the rest", () => {
    const content = DEMOS.find((d) => d.id === "two-disks-two-cards")!.content;
    const machine = linkBootMachine(content.machine, content.cmdlineExtras);
    expect(machine.cmdline).toMatch(/ ringside\.disk=persistent/);
    const without = withoutBrowserDisks(machine);
    expect(without.cmdline).not.toMatch(/ringside\.disk/);
    expect(without.cmdline).toBe(machine.cmdline.replace(" ringside.disk=persistent", ""));
    expect(without.devices.map((d) => (d.type === "virtio-blk" ? `blk:${d.options.backend.kind}` : d.type)))
      .toEqual(["virtio-console", "virtio-rng", "blk:memory", "virtio-net", "virtio-net"]);
    expect(DISK_IN_OTHER_TAB).toBe("the disk is open in another tab: this machine runs without it");
  });
  it("recognises the worker's error by its name, which is all that crosses the worker's door", () => {
    const thrown = new DiskInUseError("the disk ringside-disk.img is in use by another ringside tab of this site; close it and reload");
    expect(isDiskInUse(thrown)).toBe(true);
    // As comlink rebuilds it on the page: a plain Error with the name and message copied.
    expect(isDiskInUse(Object.assign(new Error(thrown.message), { name: thrown.name }))).toBe(true);
    expect(isDiskInUse(new Error("cannot open the disk"))).toBe(false);
    expect(thrown.name).toBe(DISK_IN_USE_ERROR);
  });
});
