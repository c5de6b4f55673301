// The one parser of machine descriptions (parse-machine.ts) and QEMU-style --device
// options (device-option.ts): what they accept, the defaults they fill in, and errors that
// name the field or key and say what was wrong.
import { describe, expect, it } from "vitest";
import { DescriptionError, parseMachineDescription, parseMachineJson } from "../../src/description/parse-machine.js";
import { parseDeviceOption } from "../../src/description/device-option.js";

const pci = { kind: "pci" };
const base = { version: 1, memoryMiB: 256, cmdline: "console=ttyS0", devices: [] as unknown[] };
const machine = (devices: unknown[], extra: Record<string, unknown> = {}) => ({ ...base, devices, ...extra });

describe("machine descriptions", () => {
  it("reads a full machine and fills in every default", () => {
    const m = parseMachineDescription(machine([
      { type: "virtio-console" },
      { type: "virtio-rng", transport: { kind: "pci", slot: 9, bar: "io", notifyOffMultiplier: 4 }, queues: [{ size: 64 }] },
      { type: "virtio-blk", id: "data", transport: pci, options: { backend: { kind: "file", path: "a.img", createSizeMiB: 64 } } },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, mac: "52:54:00:AA:BB:CC" } },
    ]));
    expect(m.devices).toEqual([
      { type: "virtio-console", transport: pci },
      { type: "virtio-rng", transport: { kind: "pci", slot: 9, bar: "io", notifyOffMultiplier: 4 }, queues: [{ size: 64 }] },
      { type: "virtio-blk", id: "data", transport: pci, options: { backend: { kind: "file", path: "a.img", createSizeMiB: 64 }, readOnly: false } },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, mac: "52:54:00:aa:bb:cc", policy: "shared", ip: "auto" } },
    ]);
    // What comes out goes back in unchanged: a printed description boots the same machine.
    expect(parseMachineDescription(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it.each([
    [{ ...base, version: 2 }, /version must be 1 \(this ringside reads version 1\)/],
    [{ ...base, memoryMiB: 64 }, /memoryMiB must be an integer from 128 to 2048 \(got 64\)/],
    [{ ...base, cmdline: "a\nb" }, /cmdline must be one line/],
    [{ ...base, extra: 1 }, /extra must be absent: the object has the fields version, memoryMiB, cmdline, boot, devices, and no others/],
    [machine([{ type: "virtio-gpu" }]), /devices\[0\]\.type must be one of "virtio-console"/],
    [machine([{ type: "virtio-9p", options: { backend: { kind: "memory" }, tag: "a b" } }]), /devices\[0\]\.options\.tag must be a mount tag of 1 to 31 letters/],
    [machine([{ type: "virtio-9p", options: { backend: { kind: "memory" }, mountPoint: "/mnt/../etc" } }]), /devices\[0\]\.options\.mountPoint must be an absolute guest path/],
    [machine([{ type: "virtio-balloon", options: { targetMiB: 256 } }]), /a balloon target below the memory \(256 MiB; got 256 MiB\)/],
    [machine([{ type: "virtio-rng", transport: { kind: "pci", slot: 0 } }]), /devices\[0\]\.transport\.slot must be an integer from 1 to 31 \(got 0\)/],
    [machine([{ type: "virtio-rng", transport: { kind: "usb" } }]), /devices\[0\]\.transport\.kind must be one of "pci", "mmio" \(got "usb"\)/],
    [machine([{ type: "virtio-rng", transport: { kind: "mmio", base: 0xd0000100 } }]), /devices\[0\]\.transport\.base must be a multiple of 0x200/],
    [machine([{ type: "virtio-rng", transport: { kind: "mmio", irq: 16 } }]), /devices\[0\]\.transport\.irq must be an integer from 1 to 15 \(got 16\)/],
    [machine([{ type: "virtio-rng", transport: { kind: "mmio", slot: 3 } }]), /devices\[0\]\.transport\.slot must be absent/],
    [machine([{ type: "virtio-rng", transport: { kind: "pci", msix: "yes" } }]), /devices\[0\]\.transport\.msix must be/],
    [machine([{ type: "virtio-rng", ring: "circular" }]), /devices\[0\]\.ring must be one of "split", "packed" \(got "circular"\)/],
    [machine([{ type: "virtio-rng", transport: { kind: "mmio", base: 0xd0000000 } }, { type: "virtio-console", transport: { kind: "mmio", base: 0xd0000000 } }]), /devices\[1\] must be a device of its own: devices\[0\] already has virtio-mmio address 0xd0000000/],
    [machine([{ type: "virtio-rng", queues: [{ size: 100 }] }]), /devices\[0\]\.queues\[0\]\.size must be a power of two from 2 to 1024/],
    [machine([{ type: "virtio-rng", queues: [{}, {}] }]), /devices\[0\]\.queues must be an array of at most 1 elements/],
    [machine([{ type: "virtio-rng", options: {} }]), /devices\[0\]\.options must be absent/],
    [machine([{ type: "virtio-blk", options: { backend: { kind: "file", path: "" } } }]), /devices\[0\]\.options\.backend\.path must be a non-empty path/],
    [machine([{ type: "virtio-blk", options: { backend: { kind: "memory", sizeMiB: 0 } } }]), /devices\[0\]\.options\.backend\.sizeMiB must be an integer from 1 to 65536/],
    [machine([{ type: "virtio-blk", options: { backend: { kind: "opfs", name: "../x", sizeMiB: 8 } } }]), /options\.backend\.name must be a file name/],
    [machine([{ type: "virtio-net", options: { backend: { kind: "host" }, mac: "01:00:00:00:00:01" } }]), /options\.mac must be a unicast MAC address/],
    [machine([{ type: "virtio-net", options: { backend: { kind: "relay", url: "http://x" } } }]), /options\.backend\.url must be a ws:\/\/ or wss:\/\/ address/],
    [machine([{ type: "virtio-net", options: { backend: { kind: "host" }, ip: { address: "10.0.2.300", prefix: 24 } } }]), /options\.ip\.address must be a dotted IPv4 address/],
    [machine([{ type: "virtio-rng", id: "a" }, { type: "virtio-console", id: "a" }]), /devices\[1\] must be a device of its own: devices\[0\] already has id "a"/],
    [machine([{ type: "virtio-rng", transport: { kind: "pci", slot: 5 } }, { type: "virtio-console", transport: { kind: "pci", slot: 5 } }]), /devices\[0\] already has PCI slot 5/],
  ])("refuses %j naming the field", (value, message) => {
    expect(() => parseMachineDescription(value)).toThrow(DescriptionError);
    expect(() => parseMachineDescription(value)).toThrow(message);
  });

  it("says where a file is not JSON", () => {
    expect(() => parseMachineJson("{", "m.json")).toThrow(/m\.json is not JSON/);
    expect(() => parseMachineJson(JSON.stringify({ ...base, memoryMiB: "x" }), "m.json")).toThrow(/machine description m\.json: memoryMiB must be/);
  });
});

describe("--device options", () => {
  it("reads QEMU's shape into device descriptions", () => {
    expect(parseDeviceOption("virtio-blk,file=a.img,readonly=on")).toEqual({
      type: "virtio-blk", transport: pci, options: { backend: { kind: "file", path: "a.img" }, readOnly: true },
    });
    expect(parseDeviceOption("virtio-blk,memory=32,slot=7,queue-size=64")).toEqual({
      type: "virtio-blk", transport: { kind: "pci", slot: 7 }, queues: [{ size: 64 }], options: { backend: { kind: "memory", sizeMiB: 32 }, readOnly: false },
    });
    expect(parseDeviceOption("virtio-net,net=host,mac=52:54:00:12:34:60,policy=per-queue,ip=10.0.9.15/24@10.0.9.1")).toEqual({
      type: "virtio-net", transport: pci,
      options: { backend: { kind: "host" }, mac: "52:54:00:12:34:60", policy: "per-queue", ip: { address: "10.0.9.15", prefix: 24, gateway: "10.0.9.1" } },
    });
    expect(parseDeviceOption("virtio-net")).toMatchObject({ options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } });
    expect(parseDeviceOption("virtio-9p,dir=shared,tag=work,readonly=on,mount=/srv/work")).toEqual({
      type: "virtio-9p", transport: pci,
      options: { backend: { kind: "directory", path: "shared" }, tag: "work", readOnly: true, mountPoint: "/srv/work" },
    });
    expect(parseDeviceOption("virtio-9p,memory=on")).toMatchObject({ options: { backend: { kind: "memory" }, tag: "host", readOnly: false } });
    expect(parseDeviceOption("virtio-balloon,target=64")).toEqual({ type: "virtio-balloon", transport: pci, options: { targetMiB: 64 } });
    expect(parseDeviceOption("virtio-rng,bar=io,notify-multiplier=4,id=rng2")).toEqual({
      type: "virtio-rng", id: "rng2", transport: { kind: "pci", bar: "io", notifyOffMultiplier: 4 },
    });
    expect(parseDeviceOption("virtio-net,ring=packed,msix=on")).toMatchObject({ ring: "packed", transport: { kind: "pci", msix: true } });
    expect(parseDeviceOption("virtio-blk,memory=8,transport=mmio,addr=0xd0000000,irq=5")).toMatchObject({
      transport: { kind: "mmio", base: 0xd0000000, irq: 5 },
    });
    // Each form goes through the machine parser unchanged (a printed description boots the same machine).
    for (const text of ["virtio-net,ring=packed,msix=on", "virtio-rng,transport=mmio,addr=0xd0000200,irq=7", "virtio-rng,transport=mmio"]) {
      const d = parseDeviceOption(text);
      expect(parseMachineDescription({ ...base, devices: [d] }).devices[0]).toEqual(d);
    }
  });

  it.each([
    ["virtio-gpu", /unknown device type "virtio-gpu" \(known: virtio-console, virtio-rng, virtio-blk, virtio-net, virtio-9p, virtio-balloon\)/],
    ["virtio-blk,fil=a.img", /unknown key "fil" for virtio-blk \(known: id, transport, slot, bar, notify-multiplier, msix, addr, irq, queue-size, ring, file, size, memory, opfs, readonly\)/],
    ["virtio-blk,file", /file needs a value \(file=\.\.\.\)/],
    ["virtio-blk,file=a,file=b", /file given twice/],
    ["virtio-blk,readonly=on", /a disk needs exactly one of file=PATH, memory=MiB or opfs=NAME \(got none\)/],
    ["virtio-blk,file=a,memory=4", /exactly one of .* \(got file, memory\)/],
    ["virtio-blk,file=a,readonly=maybe", /readonly must be on or off \(got "maybe"\)/],
    ["virtio-blk,memory=x", /memory must be a whole number \(got "x"\)/],
    ["virtio-net,net=wifi", /net must be host or switch or relay or wisp or fetch or user \(got "wifi"\)/],
    ["virtio-net,net=host,hostfwd=tcp::5555-:22", /hostfwd must be used only with net=user/],
    ["virtio-net,net=user,hostfwd=tcp::99999-:22", /hostfwd must be tcp::HOSTPORT-:GUESTPORT with ports from 1 to 65535/],
    ["virtio-net,net=host,wisp=ws://127.0.0.1:1/", /wisp must be used only with net=wisp/],
    ["virtio-net,ip=10.0.0.1", /ip must be auto, dhcp or ADDRESS\/PREFIX/],
    ["virtio-net,relay=wss://x/", /relay must be used only with net=relay/],
    ["virtio-rng,transport=usb", /transport must be pci or mmio \(got "usb"\)/],
    ["virtio-rng,transport=mmio,slot=4", /slot must be absent: it is a transport=pci option/],
    ["virtio-rng,addr=0xd0000000", /addr must be absent: it is a transport=mmio option/],
    ["virtio-rng,transport=mmio,addr=somewhere", /addr must be an address such as 0xd0000000/],
    ["virtio-rng,ring=round", /ring must be split or packed \(got "round"\)/],
    ["virtio-rng,msix=maybe", /msix must be on or off/],
    ["virtio-9p,tag=x", /a shared folder needs exactly one of dir=PATH, opfs=NAME or memory=on \(got none\)/],
    ["virtio-9p,dir=a,memory=on", /exactly one of .* \(got dir, memory\)/],
    ["virtio-9p,memory=off", /memory must be on/],
    ["virtio-balloon,target=lots", /target must be a whole number/],
  ])("refuses %s naming the option and key", (text, message) => {
    expect(() => parseDeviceOption(text)).toThrow(DescriptionError);
    expect(() => parseDeviceOption(text)).toThrow(message);
    expect(() => parseDeviceOption(text)).toThrow(`--device ${text}`);
  });
});
