// A version-2 share link's machine: what the one parser refuses is refused with the
// parser's own words (naming the field), and on top of it the link's rules: no host file,
// no relay, disks in this browser's storage only as ringside-NAME.img, sizes and device
// counts bounded, a console for the terminal, no command line of its own. And a link with
// the page's machine and a few more devices stays short.
import { describe, expect, it } from "vitest";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import { ShareLinkError } from "../../src/share/share-config.js";
import { contentOfMachine, type ShareContent } from "../../src/share/share-content.js";
import { linkBootMachine, MAX_LINK_DEVICES } from "../../src/share/link-machine.js";
import { decodeShareFragment, encodeShareFragment } from "../../src/share/share-link.js";
import { DEMOS } from "../../src/share/share-demos.js";
import { describeShareContent } from "../../src/share/share-words.js";
import { PAGE_DISK, PAGE_SHARE, pageMachine, pageMachineOptions } from "../../src/share/page-machine.js";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import type { DeviceDescription } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";

const pci = { kind: "pci" as const };
const CONSOLE: DeviceDescription = { type: "virtio-console", transport: pci };
const RNG: DeviceDescription = { type: "virtio-rng", transport: pci };
const PAGE_BLK: DeviceDescription = { type: "virtio-blk", transport: pci, options: { backend: { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }, readOnly: false } };
const MEMORY_BLK: DeviceDescription = { type: "virtio-blk", transport: pci, options: { backend: { kind: "memory", sizeMiB: 16 }, readOnly: false } };
const HOST_NET: DeviceDescription = { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } };
const CONTENT: ShareContent = {
  machine: { version: 1, memoryMiB: 256, devices: [CONSOLE, RNG, PAGE_BLK, MEMORY_BLK, HOST_NET, HOST_NET] },
  cmdlineExtras: "",
  script: "ls /sys/block\n",
  panel: "terminal",
};

/** A version-2 fragment holding `content` as it is, past the encoder's checks. */
async function rawLink(content: unknown): Promise<string> {
  return `#demo=2.${toBase64Url(await deflateRaw(new TextEncoder().encode(JSON.stringify(content))))}`;
}

async function refusal(content: unknown): Promise<string> {
  const hash = await rawLink(content);
  try {
    await decodeShareFragment(hash);
  } catch (err) {
    expect(err).toBeInstanceOf(ShareLinkError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(content).slice(0, 200)} was accepted`);
}

const withDevice = (i: number, device: unknown) => {
  const devices: unknown[] = [...CONTENT.machine.devices];
  devices[i] = device;
  return { ...CONTENT, machine: { ...CONTENT.machine, devices } };
};

describe("a version-2 link's machine", () => {
  it("two disks and two cards round-trip, and boot on the page's command line", async () => {
    const fragment = await encodeShareFragment(CONTENT);
    expect(await decodeShareFragment(fragment)).toEqual(CONTENT);
    const boot = linkBootMachine(CONTENT.machine, "foo=1");
    expect(boot.cmdline).toBe(`${DEFAULT_CMDLINE} ringside.disk=persistent foo=1`);
    expect(parseMachineDescription(boot).devices).toHaveLength(6);
    // A machine whose first disk is in memory: rc.boot leaves /dev/vda alone.
    expect(linkBootMachine({ ...CONTENT.machine, devices: [CONSOLE, MEMORY_BLK, PAGE_BLK] }, "").cmdline).toBe(DEFAULT_CMDLINE);
    expect(describeShareContent(CONTENT)).toBe(
      "256 MiB of memory, 2 network cards (eth0: host network with the shared notification channel; eth1: host network with the shared notification channel), " +
        "2 disks (vda: this browser's disk at /mnt; vdb: a 16 MiB disk in memory), terminal panel open",
    );
  });

  it("stays short: the page's machine with a few more devices is far below the 8 KiB limit", async () => {
    const many: ShareContent = { ...CONTENT, machine: { ...CONTENT.machine, devices: [CONSOLE, RNG, PAGE_BLK, MEMORY_BLK, MEMORY_BLK, HOST_NET, HOST_NET, HOST_NET] } };
    const fragment = await encodeShareFragment(many);
    expect(fragment.length).toBeLessThan(700);
    // What the running page shares: its machine as built, every device placed.
    const built = linkBootMachine(many.machine, "");
    const placed = { ...built, devices: built.devices.map((d, i) => ({ ...d, transport: { ...d.transport, slot: 5 + i } })) };
    const shared = await encodeShareFragment(contentOfMachine(placed, "x".repeat(200), "inspector"));
    expect(shared.length).toBeLessThan(1000);
  });

  it("refuses a disk on a host file, naming the field", async () => {
    const file = { type: "virtio-blk", options: { backend: { kind: "file", path: "/etc/passwd" } } };
    expect(await refusal(withDevice(3, file))).toBe(
      `the link's machine: devices[3].options.backend.kind must be "memory" or "opfs": a share link cannot name a file on this computer (got "file")`,
    );
  });

  it("refuses a shared folder of this browser's storage or of the host, and takes one in memory", async () => {
    const share = (backend: unknown) => ({ type: "virtio-9p", options: { backend, tag: "host", readOnly: false } });
    for (const backend of [{ kind: "opfs", name: "shared" }, { kind: "directory", path: "/home" }]) {
      expect(await refusal(withDevice(3, share(backend)))).toBe(
        `the link's machine: devices[3].options.backend.kind must be "memory": a share link cannot mount a folder of this browser's storage or of this computer (got "${backend.kind}")`,
      );
    }
    const scratch = withDevice(3, share({ kind: "memory" }));
    const back = await decodeShareFragment(await rawLink(scratch));
    expect(back?.machine.devices[3]).toMatchObject({ type: "virtio-9p", options: { backend: { kind: "memory" } } });
  });

    it("refuses a relay, naming the field", async () => {
    const relay = { type: "virtio-net", options: { backend: { kind: "relay", url: "wss://evil.example/" } } };
    expect(await refusal(withDevice(5, relay))).toMatch(/^the link's machine: devices\[5\]\.options\.backend\.kind must be "host" or "switch": a relay would make this browser connect/);
    expect(await refusal({ ...CONTENT, relay: "wss://evil.example/" })).toMatch(/cannot carry a relay address/);
    const wisp = { type: "virtio-net", options: { backend: { kind: "wisp", url: "wss://evil.example/" } } };
    expect(await refusal(withDevice(5, wisp))).toMatch(/devices\[5\]\.options\.backend\.kind must be "host" or "switch": a wisp server would make this browser connect to a server the link chose/);
    const fetchCard = { type: "virtio-net", options: { backend: { kind: "fetch" } } };
    expect(await refusal(withDevice(5, fetchCard))).toMatch(/must be "host" or "switch": fetch\(\) would make this browser send requests wherever the link's guest asks/);
  });

  it("refuses other files of this browser's storage and oversized disks", async () => {
    const opfs = (name: string, sizeMiB = 16) => ({ type: "virtio-blk", options: { backend: { kind: "opfs", name, sizeMiB } } });
    for (const name of ["ringside-restore-1234.state", "other.img", "ringside-.img", "ringside-A.img", `ringside-${"a".repeat(33)}.img`]) {
      expect(await refusal(withDevice(3, opfs(name)))).toMatch(/^the link's machine: devices\[3\]\.options\.backend\.name must be ringside-NAME\.img/);
    }
    expect(await decodeShareFragment(await rawLink(withDevice(3, opfs("ringside-scratch-2.img"))))).not.toBeNull();
    expect(await refusal(withDevice(3, opfs("ringside-disk.img")))).toMatch(/devices\[3\]\.options\.backend\.name must be a disk of its own: devices\[2\] already uses it/);
    expect(await refusal(withDevice(3, opfs("ringside-big.img", 1025)))).toMatch(/devices\[3\]\.options\.backend\.sizeMiB must be at most 1024 in a share link \(got 1025\)/);
    const memory = { type: "virtio-blk", options: { backend: { kind: "memory", sizeMiB: 4096 } } };
    expect(await refusal(withDevice(3, memory))).toMatch(/devices\[3\]\.options\.backend\.sizeMiB must be at most 1024/);
  });

  it("refuses too many devices, or none the terminal can show", async () => {
    const devices = [CONSOLE, ...Array.from({ length: MAX_LINK_DEVICES }, () => RNG)];
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, devices } })).toMatch(/devices must be at most 8 devices in a share link \(got "9 devices"\)/);
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, devices: [RNG, HOST_NET] } })).toMatch(/devices must be a list with a virtio-console/);
  });

  it("refuses a command line of its own, and reserved parameters in the extras", async () => {
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, cmdline: "init=/bin/sh" } })).toMatch(/the link's machine: cmdline must be absent: a link adds kernel parameters in cmdlineExtras/);
    expect(await refusal({ ...CONTENT, cmdlineExtras: "init=/bin/sh" })).toMatch(/cmdlineExtras may not set "init"/);
    expect(await refusal({ ...CONTENT, cmdlineExtras: "ringside.ifup=52:54:00:12:34:57,1.2.3.4/8" })).toMatch(/cmdlineExtras may not set "ringside\.ifup"/);
  });

  it("passes on the parser's own messages, naming the field", async () => {
    const at = (i: number, d: unknown) => refusal(withDevice(i, d));
    expect(await at(3, { type: "virtio-blk", options: { backend: { kind: "nfs" } } })).toMatch(/^the link's machine: devices\[3\]\.options\.backend\.kind must be one of "file", "memory", "opfs" \(got "nfs"\)$/);
    expect(await at(4, { type: "virtio-net", options: { backend: { kind: "host" }, mac: "01:00:00:00:00:01" } })).toMatch(/devices\[4\]\.options\.mac must be a unicast MAC address/);
    expect(await at(1, { type: "virtio-rng", transport: { kind: "pci", slot: 40 } })).toMatch(/devices\[1\]\.transport\.slot must be an integer from 1 to 31/);
    expect(await at(0, { type: "virtio-gpu" })).toMatch(/devices\[0\]\.type must be one of "virtio-console"/);
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, memoryMiB: 4096 } })).toMatch(/the link's machine: memoryMiB must be an integer from 128 to 2048 \(got 4096\)/);
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, version: 2 } })).toMatch(/the link's machine: version must be 1/);
    expect(await refusal({ ...CONTENT, machine: { ...CONTENT.machine, colour: "red" } })).toMatch(/the link's machine: colour must be absent/);
    expect(await refusal({ ...CONTENT, machine: "a machine" })).toMatch(/the link's machine: the machine must be an object/);
    expect(await refusal({ ...CONTENT, panel: "gpu" })).toMatch(/panel must be "terminal" or "inspector", not "gpu"/);
    const { script: _, ...noScript } = CONTENT;
    expect(await refusal(noScript)).toMatch(/lacks fields: script/);
  });

  it("shares a running machine: its devices, the parameters it added, a relay card offered on the host network", () => {
    const relay = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, { kind: "relay", url: "wss://relay.example/", policy: "per-queue" });
    const content = contentOfMachine({ ...relay, cmdline: `${relay.cmdline} quiet2=1` }, "uname", "terminal");
    expect(content.cmdlineExtras).toBe("quiet2=1");
    expect(content.machine.devices.at(-1)).toEqual({ type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "per-queue", ip: "auto" } });
    expect(content.machine).not.toHaveProperty("cmdline");
    // A command line that is not the page's is offered whole, and the link's checks say why not.
    const cli = contentOfMachine({ ...relay, cmdline: "console=ttyS0" }, "", "terminal");
    expect(cli.cmdlineExtras).toBe("console=ttyS0");
    return expect(encodeShareFragment(cli)).rejects.toThrow(/cmdlineExtras may not set "console"/);
  });

  it("leaves the page's shared folder out of a running machine's link (it holds this browser's own files)", () => {
    const running = pageMachine(pageMachineOptions(PAGE_DISK), PAGE_DISK, { kind: "host", policy: "shared" }, "kernel", PAGE_SHARE);
    expect(running.devices.map((d) => d.type)).toContain("virtio-9p");
    const content = contentOfMachine(running, "", "terminal");
    expect(content.machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-net"]);
  });

  it("the gallery's transport demos survive a link's round trip with their rings, transports and vectors", async () => {
    for (const id of ["packed-rings", "mmio-and-msix"]) {
      const demo = DEMOS.find((d) => d.id === id)!;
      const back = await decodeShareFragment(`#${await encodeShareFragment(demo.content)}`);
      expect(back).toEqual(demo.content);
      if (!back) throw new Error(`${id}: the link did not decode`);
      // The banner says which devices leave the defaults.
      expect(describeShareContent(back)).toContain(
        id === "packed-rings" ? ", packed rings: virtio-console, virtio-rng, virtio-net" : ", on virtio-mmio: virtio-rng, MSI-X: virtio-console, virtio-net",
      );
      const booted = linkBootMachine(back.machine, back.cmdlineExtras);
      expect(booted.devices.map((d) => [d.ring ?? "split", d.transport])).toEqual(
        id === "packed-rings"
          ? [["packed", pci], ["packed", pci], ["packed", pci]]
          : [["split", { kind: "pci", msix: true }], ["split", { kind: "mmio" }], ["split", { kind: "pci", msix: true }]],
      );
    }
  });

  it("the gallery's two-disk demo is a link of six devices", () => {
    const demo = DEMOS.find((d) => d.id === "two-disks-two-cards")!;
    expect(demo.content.machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-blk", "virtio-net", "virtio-net"]);
  });
});
