// QEMU's -device shape for one device: TYPE,key=value,... (the CLI's --device). Each type
// takes its own keys and the transport's common ones; an unknown key, a missing value or
// one that cannot be read is an error naming the option and the key. What comes out is a
// device description, checked again with the whole machine by parse-machine.ts.
//
//   --device virtio-blk,file=a.img,readonly=on     --device virtio-blk,memory=64
//   --device virtio-net,net=host,mac=52:54:00:aa:bb:cc,policy=per-queue,ip=10.0.9.15/24
//   --device virtio-net,net=user,hostfwd=tcp::5555-:22     --device virtio-net,net=wisp,wisp=ws://127.0.0.1:6001/
//   --device virtio-rng,slot=9,bar=io,queue-size=64     --device virtio-net,ring=packed,msix=on
//   --device virtio-blk,memory=64,transport=mmio,addr=0xd0000000,irq=5
//   --device virtio-9p,dir=shared,tag=host,readonly=on     --device virtio-balloon,target=64
import {
  DEVICE_TYPES, type DeviceDescription, type DeviceType, type GuestIp, type NetBackendDescription, type NetOptions, type NinepOptions, type QueueDescription,
  type ShareBackendDescription,
  type TransportDescription, RING_LAYOUTS,
} from "./machine-description.js";
import { DescriptionError } from "./parse-machine.js";
import { QUEUE_COUNT } from "./limits.js";
import { parseHostForward, type HostForward } from "./net-backend.js";

const COMMON_KEYS = ["id", "transport", "slot", "bar", "notify-multiplier", "msix", "addr", "irq", "queue-size", "ring"] as const;
const PCI_KEYS = ["slot", "bar", "notify-multiplier", "msix"] as const;
const MMIO_KEYS = ["addr", "irq"] as const;
const TYPE_KEYS: Record<DeviceType, readonly string[]> = {
  "virtio-console": [],
  "virtio-rng": [],
  "virtio-blk": ["file", "size", "memory", "opfs", "readonly"],
  "virtio-net": ["net", "relay", "wisp", "hostfwd", "mac", "policy", "ip"],
  "virtio-9p": ["dir", "opfs", "memory", "tag", "readonly", "mount"],
  "virtio-balloon": ["target"],
};

/** One --device value as a device description (not yet checked with the rest of the machine). */
export function parseDeviceOption(text: string): DeviceDescription {
  const [type, ...pairs] = text.split(",");
  const where = `--device ${text}`;
  if (!DEVICE_TYPES.includes(type as DeviceType)) {
    throw new DescriptionError(`${where}: unknown device type ${JSON.stringify(type)} (known: ${DEVICE_TYPES.join(", ")})`);
  }
  const t = type as DeviceType;
  const known = [...COMMON_KEYS, ...TYPE_KEYS[t]];
  const keys = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!known.includes(key)) throw new DescriptionError(`${where}: unknown key ${JSON.stringify(key)} for ${t} (known: ${known.join(", ")})`);
    if (eq < 0 || eq === pair.length - 1) throw new DescriptionError(`${where}: ${key} needs a value (${key}=...)`);
    if (keys.has(key)) throw new DescriptionError(`${where}: ${key} given twice`);
    keys.set(key, pair.slice(eq + 1));
  }
  const k = new Keys(where, keys);
  const common = {
    ...(keys.has("id") ? { id: k.text("id") } : {}),
    transport: transportOf(k),
    ...(keys.has("queue-size") ? { queues: queuesOf(k.integer("queue-size"), QUEUE_COUNT[t]) } : {}),
    ...(keys.has("ring") ? { ring: k.oneOf("ring", RING_LAYOUTS) } : {}),
  };
  switch (t) {
    case "virtio-blk": return { type: t, ...common, options: { backend: diskOf(k, where), readOnly: k.flag("readonly") } };
    case "virtio-net": return { type: t, ...common, options: netOf(k) };
    case "virtio-9p": return { type: t, ...common, options: shareOf(k, where) };
    case "virtio-balloon": return { type: t, ...common, options: { targetMiB: k.has("target") ? k.integer("target") : 0 } };
    default: return { type: t, ...common };
  }
}

function transportOf(k: Keys): TransportDescription {
  const kind = k.has("transport") ? k.oneOf("transport", ["pci", "mmio"] as const) : "pci";
  for (const key of kind === "pci" ? MMIO_KEYS : PCI_KEYS) if (k.has(key)) k.fail(key, `absent: it is a transport=${kind === "pci" ? "mmio" : "pci"} option`);
  if (kind === "mmio") {
    return {
      kind,
      ...(k.has("addr") ? { base: k.address("addr") } : {}),
      ...(k.has("irq") ? { irq: k.integer("irq") } : {}),
    };
  }
  return {
    kind,
    ...(k.has("slot") ? { slot: k.integer("slot") } : {}),
    ...(k.has("bar") ? { bar: k.oneOf("bar", ["io", "mem32", "mem64"] as const) } : {}),
    ...(k.has("notify-multiplier") ? { notifyOffMultiplier: k.integer("notify-multiplier") } : {}),
    ...(k.has("msix") ? { msix: k.flag("msix") } : {}),
  };
}

function queuesOf(size: number, count: number): QueueDescription[] {
  return Array.from({ length: count }, () => ({ size }));
}

function diskOf(k: Keys, where: string) {
  const given = ["file", "memory", "opfs"].filter((key) => k.has(key));
  if (given.length !== 1) throw new DescriptionError(`${where}: a disk needs exactly one of file=PATH, memory=MiB or opfs=NAME (got ${given.join(", ") || "none"})`);
  if (k.has("file")) return { kind: "file" as const, path: k.text("file"), ...(k.has("size") ? { createSizeMiB: k.integer("size") } : {}) };
  if (k.has("memory")) {
    if (k.has("size")) k.fail("size", "absent: memory=MiB is the size");
    return { kind: "memory" as const, sizeMiB: k.integer("memory") };
  }
  if (!k.has("size")) throw new DescriptionError(`${where}: opfs=NAME needs size=MiB`);
  return { kind: "opfs" as const, name: k.text("opfs"), sizeMiB: k.integer("size") };
}

function shareOf(k: Keys, where: string): NinepOptions {
  const given = ["dir", "opfs", "memory"].filter((key) => k.has(key));
  if (given.length !== 1) throw new DescriptionError(`${where}: a shared folder needs exactly one of dir=PATH, opfs=NAME or memory=on (got ${given.join(", ") || "none"})`);
  if (k.has("memory") && !k.flag("memory")) k.fail("memory", "on (or give dir=PATH or opfs=NAME instead)");
  const backend: ShareBackendDescription = k.has("dir")
    ? { kind: "directory", path: k.text("dir") }
    : k.has("opfs") ? { kind: "opfs", name: k.text("opfs") } : { kind: "memory" };
  return {
    backend, tag: k.has("tag") ? k.text("tag") : "host", readOnly: k.flag("readonly"),
    ...(k.has("mount") ? { mountPoint: k.text("mount") } : {}),
  };
}

function netOf(k: Keys): NetOptions {
  const net = k.has("net") ? k.oneOf("net", ["host", "switch", "relay", "wisp", "fetch", "user"] as const) : "host";
  if (k.has("relay") && net !== "relay") k.fail("relay", "used only with net=relay");
  if (k.has("wisp") && net !== "wisp") k.fail("wisp", "used only with net=wisp");
  if (k.has("hostfwd") && net !== "user") k.fail("hostfwd", "used only with net=user");
  const backend: NetBackendDescription =
    net === "relay" ? { kind: net, url: k.text("relay") }
    : net === "wisp" ? { kind: net, url: k.text("wisp") }
    : net === "user" ? { kind: net, ...(k.has("hostfwd") ? { hostfwd: [hostForwardOf(k)] } : {}) }
    : { kind: net };
  return {
    backend,
    ...(k.has("mac") ? { mac: k.text("mac") } : {}),
    policy: k.has("policy") ? k.oneOf("policy", ["shared", "per-queue"] as const) : ("shared" as const),
    ip: k.has("ip") ? ipOf(k) : ("auto" as const),
  };
}

function hostForwardOf(k: Keys): HostForward {
  try {
    return parseHostForward(k.text("hostfwd"));
  } catch {
    return k.fail("hostfwd", "tcp::HOSTPORT-:GUESTPORT with ports from 1 to 65535 (e.g. tcp::5555-:22)");
  }
}

function ipOf(k: Keys): GuestIp {
  const text = k.text("ip");
  if (text === "auto" || text === "dhcp") return text;
  const m = /^([0-9.]+)\/(\d{1,2})(?:@([0-9.]+))?$/.exec(text);
  if (!m) k.fail("ip", "auto, dhcp or ADDRESS/PREFIX[@GATEWAY] (e.g. 10.0.9.15/24)");
  return { address: m[1]!, prefix: Number(m[2]), ...(m[3] ? { gateway: m[3] } : {}) };
}

class Keys {
  constructor(private readonly where: string, private readonly keys: ReadonlyMap<string, string>) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  fail(key: string, expected: string): never {
    throw new DescriptionError(`${this.where}: ${key} must be ${expected} (got ${JSON.stringify(this.keys.get(key))})`);
  }

  text(key: string): string {
    return this.keys.get(key) ?? this.fail(key, "given");
  }

  integer(key: string): number {
    const v = this.text(key);
    if (!/^\d{1,9}$/.test(v)) this.fail(key, "a whole number");
    return Number(v);
  }

  /** A physical address, in hex (0x...) or decimal. */
  address(key: string): number {
    const v = this.text(key);
    if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(v)) this.fail(key, "an address such as 0xd0000000");
    return Number(v);
  }

  flag(key: string): boolean {
    if (!this.has(key)) return false;
    const v = this.text(key);
    if (["on", "true", "yes", "1"].includes(v)) return true;
    if (["off", "false", "no", "0"].includes(v)) return false;
    return this.fail(key, "on or off");
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.text(key);
    if (!(values as readonly string[]).includes(v)) this.fail(key, values.join(" or "));
    return v as T;
  }
}
