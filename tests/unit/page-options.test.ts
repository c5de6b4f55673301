import { describe, expect, it } from "vitest";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import { DEFAULT_SCHEDULER, readPageOptions } from "../../src/page/page-options.js";
import { PAGE_DISK, PAGE_SHARE, pageMachine, pageMachineOptions } from "../../src/share/page-machine.js";

describe("page options", () => {
  it("defaults to the worker and the measured default scheduler", () => {
    expect(readPageOptions("")).toEqual({
      thread: "worker", scheduler: DEFAULT_SCHEDULER, jit: "ringside", disk: "opfs", network: { kind: "host", policy: "shared" }, start: "cold", boot: "kernel", share: "opfs", balloon: "on",
    });
  });
  it("?balloon: a balloon on a cold boot, last of all, set from the Machine panel; none from the shipped snapshot", () => {
    expect(readPageOptions("?balloon=off").balloon).toBe("off");
    expect(readPageOptions("?thread=main").balloon).toBe("on");
    expect(readPageOptions("?start=snapshot").balloon).toBe("off");
    expect(() => readPageOptions("?balloon=on&start=snapshot")).toThrow(/\?start=snapshot has no balloon/);
    expect(() => readPageOptions("?balloon=yes")).toThrow(/\?balloon must be "on" or "off", not "yes"/);
    const network = { kind: "host" as const, policy: "shared" as const };
    const devices = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network, "kernel", PAGE_SHARE, true).devices;
    expect(devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-9p", "virtio-balloon"]);
    expect(devices.at(-1)).toMatchObject({ options: { targetMiB: 0 } });
    expect(pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network).devices.some((d) => d.type === "virtio-balloon")).toBe(false);
  });
  it("?boot=disk: the firmware boots the persistent disk, which it needs", () => {
    expect(readPageOptions("?boot=disk")).toMatchObject({ boot: "disk", disk: "opfs", thread: "worker" });
    expect(() => readPageOptions("?boot=disk&disk=none")).toThrow(/\?boot=disk boots the persistent disk/);
    expect(() => readPageOptions("?boot=disk&thread=main")).toThrow(/\?boot=disk boots the persistent disk/);
    expect(() => readPageOptions("?boot=disk&start=snapshot")).toThrow(/\?boot=disk boots the persistent disk/);
    expect(() => readPageOptions("?boot=floppy")).toThrow(/\?boot must be "kernel" or "disk", not "floppy"/);
    const network = { kind: "host" as const, policy: "shared" as const };
    const machine = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network, "disk");
    expect(machine.boot).toEqual({ kind: "disk" });
    expect(machine.devices.find((d) => d.type === "virtio-blk")).toMatchObject({ options: { backend: { kind: "opfs", name: PAGE_DISK.name } } });
    expect(pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network).boot).toBeUndefined();
  });
  it("?share: the shared folder in this browser's storage by default, last among the devices; none on request", () => {
    expect(readPageOptions("?share=none").share).toBe("none");
    expect(readPageOptions("?thread=main").share).toBe("none");
    expect(readPageOptions("?start=snapshot").share).toBe("none");
    expect(() => readPageOptions("?share=opfs&thread=main")).toThrow(/\?share=opfs needs \?thread=worker/);
    expect(() => readPageOptions("?share=opfs&start=snapshot")).toThrow(/\?start=snapshot has no shared folder/);
    expect(() => readPageOptions("?share=dir")).toThrow(/\?share must be "opfs" or "none", not "dir"/);
    const network = { kind: "host" as const, policy: "shared" as const };
    const withShare = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network, "kernel", PAGE_SHARE);
    const without = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, network);
    expect(withShare.devices.slice(0, -1)).toEqual(without.devices);
    expect(parseMachineDescription(withShare)).toEqual(withShare);
    expect(withShare.devices.at(-1)).toEqual({ type: "virtio-9p", transport: { kind: "pci" }, options: { backend: { kind: "opfs", name: "shared" }, tag: "host", readOnly: false } });
  });
  it("?start=snapshot: the shipped snapshot's machine, no disk and the host network, and nothing else", () => {
    expect(readPageOptions("?start=snapshot")).toMatchObject({ start: "snapshot", disk: "none", network: { kind: "host" } });
    expect(readPageOptions("?start=snapshot&thread=main&policy=per-queue")).toMatchObject({ start: "snapshot", thread: "main", disk: "none" });
    expect(() => readPageOptions("?start=snapshot&disk=opfs")).toThrow(/\?start=snapshot has no disk.*leave out \?disk=opfs/);
    expect(() => readPageOptions("?start=snapshot&net=none")).toThrow(/\?start=snapshot is on the host network.*not \?net=none/);
    expect(() => readPageOptions("?start=warm")).toThrow(/\?start must be "cold" or "snapshot", not "warm"/);
  });
  it("reads the diagnostic choices", () => {
    expect(readPageOptions("?thread=main&scheduler=v86-default")).toMatchObject({ thread: "main", scheduler: "v86-default", disk: "none" });
    expect(readPageOptions("?disk=none")).toMatchObject({ thread: "worker", scheduler: DEFAULT_SCHEDULER, disk: "none" });
    expect(readPageOptions("?jit=v86-default&disk=none")).toMatchObject({ jit: "v86-default", scheduler: DEFAULT_SCHEDULER });
  });
  it("reads the network: host, switch, none, or a relay, with either notification policy", () => {
    expect(readPageOptions("?net=switch&policy=per-queue").network).toEqual({ kind: "switch", policy: "per-queue" });
    expect(readPageOptions("?net=none").network).toEqual({ kind: "none", policy: "shared" });
    expect(readPageOptions("?net=relay&relay=wss://relay.example/net").network).toEqual({
      kind: "relay", url: "wss://relay.example/net", policy: "shared",
    });
  });
  it("rejects a bad network choice with a message that says what was wrong", () => {
    expect(() => readPageOptions("?net=wifi")).toThrow(/\?net must be "host", "switch", "relay", "wisp", "fetch" or "none", not "wifi"/);
    expect(readPageOptions("?net=fetch").network).toEqual({ kind: "fetch", policy: "shared" });
    expect(readPageOptions("?net=wisp&wisp=wss://wisp.example/w/").network).toEqual({ kind: "wisp", url: "wss://wisp.example/w/", policy: "shared" });
    expect(() => readPageOptions("?net=wisp")).toThrow(/\?net=wisp needs \?wisp=wss:\/\/\.\.\.\/, the wisp server's address/);
    expect(() => readPageOptions("?net=wisp&wisp=https://wisp.example/")).toThrow(/is not a WebSocket URL: it must start with ws:\/\/ or wss:\/\//);
    expect(() => readPageOptions("?net=wisp&wisp=wss://wisp.example/w")).toThrow(/must end in "\/"/);
    expect(() => readPageOptions("?wisp=wss://wisp.example/")).toThrow(/\?wisp is only for \?net=wisp/);
    expect(() => readPageOptions("?policy=sometimes")).toThrow(/\?policy must be "shared" or "per-queue"/);
    expect(() => readPageOptions("?net=relay")).toThrow(/needs \?relay=ws/);
    expect(() => readPageOptions("?net=relay&relay=http://x/")).toThrow(/must be a ws:\/\/ or wss:\/\/ address/);
    expect(() => readPageOptions("?net=relay&relay=::nonsense")).toThrow(/\?relay is not a URL/);
    expect(() => readPageOptions("?relay=ws://x/")).toThrow(/only for \?net=relay/);
  });
  it("rejects unknown values with a message that names them", () => {
    expect(() => readPageOptions("?thread=gpu")).toThrow(/\?thread must be "worker" or "main", not "gpu"/);
    expect(() => readPageOptions("?scheduler=<b>x</b>")).toThrow(/not "<b>x<\/b>"/);
    expect(() => readPageOptions("?jit=off")).toThrow(/\?jit must be "ringside" or "v86-default", not "off"/);
    expect(() => readPageOptions("?disk=tape")).toThrow(/\?disk must be "opfs" or "none", not "tape"/);
    expect(() => readPageOptions("?thread=main&disk=opfs")).toThrow(/needs \?thread=worker/);
  });
});
