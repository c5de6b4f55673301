// How the page applies a share link: the link's configuration replaces the address's
// machine options, memory and kernel parameters go into the machine options, and the
// script becomes keystrokes.
import { describe, expect, it } from "vitest";
import { currentShareConfig, machineOptionsForLink, readShareLink, scriptKeystrokes } from "../../src/page/share-boot.js";
import { readPageOptions } from "../../src/page/page-options.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import { ShareLinkError, type ShareConfig } from "../../src/share/share-config.js";
import { DEFAULT_OPTIONS } from "../../src/machine/options.js";

const CONFIG: ShareConfig = {
  memoryMiB: 192, disk: "none", network: "host", policy: "per-queue", cmdlineExtras: "foo=1 bar", script: "echo share-$((6*7))", panel: "terminal",
};

describe("booting from a share link", () => {
  it("is no link without a demo fragment", async () => {
    expect(await readShareLink("", "?net=switch")).toBeNull();
    expect(await readShareLink("#top", "")).toBeNull();
  });
  it("replaces ?net, ?policy, ?relay, ?disk and ?start, says which, and keeps ?thread and ?scheduler", async () => {
    const hash = `#${await encodeShareFragment(CONFIG)}`;
    const plain = await readShareLink(hash, "");
    expect(plain).toEqual({ config: CONFIG, overridden: [], pageOptions: { ...readPageOptions("?disk=none&policy=per-queue") } });
    const both = await readShareLink(hash, "?net=relay&relay=wss://x.example/&policy=shared&disk=opfs&scheduler=v86-default&start=snapshot");
    expect(both?.overridden).toEqual(["?net=relay", "?policy=shared", "?relay=wss://x.example/", "?disk=opfs", "?start=snapshot"]);
    // A link boots cold, as its memory and kernel parameters say, never from the shipped snapshot.
    expect(both?.pageOptions).toEqual({
      thread: "worker", scheduler: "v86-default", disk: "none", network: { kind: "host", policy: "per-queue" }, start: "cold",
    });
    // A bad value the link replaces does not matter any more.
    expect((await readShareLink(hash, "?net=wifi"))?.pageOptions.network.kind).toBe("host");
  });
  it("refuses a link whose disk the address's thread cannot have", async () => {
    const hash = `#${await encodeShareFragment({ ...CONFIG, disk: "opfs" })}`;
    await expect(readShareLink(hash, "?thread=main")).rejects.toThrow(ShareLinkError);
    await expect(readShareLink(hash, "?thread=main")).rejects.toThrow(/cannot boot with this address's options: .*needs \?thread=worker/);
    await expect(readShareLink(hash, "?thread=gpu")).rejects.toThrow(/\?thread must be/);
  });
  it("sets the memory and appends the kernel parameters to the page's command line", () => {
    const base = { ...DEFAULT_OPTIONS, cmdline: `${DEFAULT_OPTIONS.cmdline} ringside.disk=persistent` };
    expect(machineOptionsForLink(base, CONFIG)).toEqual({ memoryMiB: 192, cmdline: `${base.cmdline} foo=1 bar` });
    expect(machineOptionsForLink(base, { ...CONFIG, cmdlineExtras: "" })).toEqual({ memoryMiB: 192, cmdline: base.cmdline });
  });
  it("types the script as keystrokes, entering its last line", () => {
    expect(scriptKeystrokes("")).toBe("");
    expect(scriptKeystrokes("echo a")).toBe("echo a\r");
    expect(scriptKeystrokes("echo a\n\techo b\n")).toBe("echo a\r\techo b\r");
  });
  it("shares the page's own configuration, offering the host network for a relay", () => {
    const page = readPageOptions("?net=relay&relay=wss://x.example/&policy=per-queue");
    expect(currentShareConfig(null, page, DEFAULT_OPTIONS, "inspector")).toEqual({
      memoryMiB: 256, disk: "opfs", network: "host", policy: "per-queue", cmdlineExtras: "", script: "", panel: "inspector",
    });
    const link = { config: CONFIG, pageOptions: page, overridden: [] };
    expect(currentShareConfig(link, page, DEFAULT_OPTIONS, "inspector")).toEqual({ ...CONFIG, panel: "inspector" });
  });
});
