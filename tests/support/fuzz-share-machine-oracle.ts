// The share-link fuzzer's oracle for version-2 content, written again from the documents
// rather than the code: the machine description's shape (src/description/machine-
// description.ts and limits.ts, the parser's header) and a link's rules (link-machine.ts's
// header, with its kernel and initrd sources). It says whether a decoded value is a content a link may carry and, if so, the
// content the decoder must return (defaults filled in, MACs in lower case).
import { whatwgIpv4 } from "./fuzz-whatwg-ipv4.js";

const CONTENT_KEYS = ["machine", "cmdlineExtras", "script", "panel"];
/** A link may also say where the inspector opens (README: `focus`, a kind of device the machine has and maybe a queue 0-63). */
const FOCUS_KINDS = ["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-9p", "virtio-balloon"];
const QUEUES: Record<string, number> = { "virtio-console": 2, "virtio-rng": 1, "virtio-blk": 1, "virtio-net": 3 };
const LINK_DEVICES = 8;
const LINK_DISK_MIB = 1024;

/** Thrown inside this oracle for any value that must be refused. */
class Refused extends Error {}
const no = (): never => {
  throw new Refused();
};

type Obj = Record<string, unknown>;

function object(v: unknown, allowed: readonly string[], required: readonly string[] = []): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) no();
  const o = v as Obj;
  const keys = Object.keys(o);
  if (keys.some((k) => !allowed.includes(k)) || required.some((k) => !keys.includes(k))) no();
  return o;
}

function whole(v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) no();
  return v as number;
}

function choice<T extends string>(v: unknown, values: readonly T[]): T {
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) no();
  return v as T;
}

function ipv4(v: unknown): string {
  if (typeof v !== "string" || v.length > 15) no();
  const parts = (v as string).split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) no();
  return v as string;
}

function transport(v: unknown): Obj {
  if ((v as Obj | null)?.kind === "mmio") {
    const m = object(v, ["kind", "base", "irq"], ["kind"]);
    const out: Obj = { kind: "mmio" };
    if ("base" in m) {
      out.base = whole(m.base, 0xc0000000, 0xdffffe00);
      if ((out.base as number) % 0x200 !== 0) no();
    }
    if ("irq" in m) out.irq = whole(m.irq, 1, 15);
    return out;
  }
  const t = object(v, ["kind", "slot", "bar", "notifyOffMultiplier", "msix"], ["kind"]);
  if (t.kind !== "pci") no();
  const out: Obj = { kind: "pci" };
  if ("slot" in t) out.slot = whole(t.slot, 1, 31);
  if ("bar" in t) out.bar = choice(t.bar, ["io", "mem32", "mem64"]);
  if ("notifyOffMultiplier" in t) {
    out.notifyOffMultiplier = whole(t.notifyOffMultiplier, 0, 64);
    if (Math.abs(out.notifyOffMultiplier as number) % 2 === 1) no();
  }
  if ("msix" in t) {
    if (typeof t.msix !== "boolean") no();
    out.msix = t.msix;
  }
  return out;
}

function queues(v: unknown, count: number): Obj[] {
  if (!Array.isArray(v) || v.length > count) no();
  return (v as unknown[]).map((q) => {
    const o = object(q, ["size"]);
    if (!("size" in o)) return {};
    const size = whole(o.size, 2, 1024);
    if (!Number.isInteger(Math.log2(size))) no();
    return { size };
  });
}

function disk(v: unknown): Obj {
  const o = object(v, ["backend", "readOnly"], ["backend"]);
  const kind = (o.backend as Obj | null)?.kind;
  let backend: Obj;
  if (kind === "memory") {
    const b = object(o.backend, ["kind", "sizeMiB"], ["kind", "sizeMiB"]);
    backend = { kind, sizeMiB: whole(b.sizeMiB, 1, LINK_DISK_MIB) };
  } else if (kind === "opfs") {
    const b = object(o.backend, ["kind", "name", "sizeMiB"], ["kind", "name", "sizeMiB"]);
    if (typeof b.name !== "string" || !/^ringside-[a-z0-9][a-z0-9-]{0,31}\.img$/.test(b.name)) no();
    backend = { kind, name: b.name, sizeMiB: whole(b.sizeMiB, 1, LINK_DISK_MIB) };
  } else {
    // A file, a relay's cousin or anything else: never in a link.
    return no();
  }
  if ("readOnly" in o && typeof o.readOnly !== "boolean") no();
  return { backend, readOnly: o.readOnly ?? false };
}

function card(v: unknown): Obj {
  const o = object(v, ["backend", "mac", "policy", "ip"], ["backend"]);
  const b = object(o.backend, ["kind"], ["kind"]);
  const out: Obj = { backend: { kind: choice(b.kind, ["host", "switch"]) } };
  out.policy = "policy" in o ? choice(o.policy, ["shared", "per-queue"]) : "shared";
  if (!("ip" in o) || o.ip === "auto" || o.ip === "dhcp") out.ip = o.ip ?? "auto";
  else {
    const ip = object(o.ip, ["address", "prefix", "gateway"], ["address", "prefix"]);
    out.ip = { address: ipv4(ip.address), prefix: whole(ip.prefix, 1, 30), ...("gateway" in ip ? { gateway: ipv4(ip.gateway) } : {}) };
  }
  if ("mac" in o) {
    if (typeof o.mac !== "string" || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(o.mac) || parseInt(o.mac.slice(0, 2), 16) % 2 === 1) no();
    out.mac = (o.mac as string).toLowerCase();
  }
  return out;
}

function device(v: unknown): Obj {
  const type = choice((v as Obj | null)?.type, ["virtio-console", "virtio-rng", "virtio-blk", "virtio-net"]);
  const hasOptions = type === "virtio-blk" || type === "virtio-net";
  const o = object(v, ["type", "id", "transport", "queues", "ring", ...(hasOptions ? ["options"] : [])], hasOptions ? ["type", "options"] : ["type"]);
  const out: Obj = { type };
  if ("id" in o) {
    if (typeof o.id !== "string" || !/^[A-Za-z][-A-Za-z0-9._]{0,31}$/.test(o.id)) no();
    out.id = o.id;
  }
  out.transport = "transport" in o ? transport(o.transport) : { kind: "pci" };
  if ("queues" in o) out.queues = queues(o.queues, QUEUES[type]!);
  if ("ring" in o) out.ring = choice(o.ring, ["split", "packed"]);
  if (type === "virtio-blk") out.options = disk(o.options);
  if (type === "virtio-net") out.options = card(o.options);
  return out;
}

/**
 * An address a link may name a kernel or an initrd by: https, or plain http to this
 * computer only (127.x.x.x, [::1], localhost and its subdomains), no user or password,
 * no whitespace (the parser's own rule), at most 2048 characters.
 */
function fetchable(url: unknown): string {
  if (typeof url !== "string" || url.length > 2048 || /\s/.test(url)) no();
  const m = /^(https?):\/\/([^/?#\\]*)/i.exec(url as string);
  if (!m) no();
  const [, scheme, authority] = m as unknown as [string, string, string];
  if (authority.includes("@")) no();
  const port = /:([0-9]*)$/.exec(authority);
  // A port is digits up to 65535 (WHATWG URL); anything else after a colon outside an IPv6 literal is no address.
  if (port && port[1] !== "" && Number(port[1]) > 65535) no();
  const host = authority.toLowerCase().replace(/:[0-9]*$/, "");
  if (host === "" || host.startsWith(":") || host.replace(/^\[[^\]]*\]/, "").includes(":")) no();
  // An IPv4 host in any of the standard's forms ("127.000.1" is 127.0.0.1); one that does not parse is no URL.
  const ipv4 = whatwgIpv4(host);
  if (ipv4 === "invalid") no();
  if (scheme.toLowerCase() === "https") return url as string;
  const loopback = host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || (typeof ipv4 === "number" && ipv4 >>> 24 === 127);
  return loopback ? (url as string) : no();
}

/** A kernel or an initrd in a link: the bundled one or one at an address (never a file, never this browser's storage). */
function imageSource(v: unknown): Obj {
  const kind = (v as Obj | null)?.kind;
  if (kind === "bundled") {
    object(v, ["kind"], ["kind"]);
    return { kind };
  }
  if (kind !== "url") no();
  const o = object(v, ["kind", "url"], ["kind", "url"]);
  return { kind, url: fetchable(o.url) };
}

/** What a link boots: a kernel (and an initrd or none); never a disk. */
function boot(v: unknown): Obj {
  const b = object(v, ["kind", "kernel", "initrd"], ["kind", "kernel"]);
  if (b.kind !== "kernel") no();
  return { kind: "kernel", kernel: imageSource(b.kernel), ...("initrd" in b ? { initrd: imageSource(b.initrd) } : {}) };
}

function machine(v: unknown): Obj {
  const m = object(v, ["version", "memoryMiB", "boot", "devices"], ["version", "memoryMiB", "devices"]);
  if (m.version !== 1) no();
  const memoryMiB = whole(m.memoryMiB, 128, 2048);
  if (!Array.isArray(m.devices) || m.devices.length > LINK_DEVICES) no();
  const devices = (m.devices as unknown[]).map(device);
  if (!devices.some((d) => d.type === "virtio-console")) no();
  // Ids, slots, MACs and files in this browser's storage each name one device.
  const names = devices.flatMap((d) => {
    const t = d.transport as Obj;
    const opts = d.options as Obj | undefined;
    const b = opts?.backend as Obj | undefined;
    return [
      "id" in d ? `id:${String(d.id)}` : [],
      "slot" in t ? `slot:${String(t.slot)}` : [],
      "base" in t ? `mmio:${String(t.base)}` : [],
      opts && "mac" in opts ? `mac:${String(opts.mac)}` : [],
      b?.kind === "opfs" ? `opfs:${String(b.name)}` : [],
    ].flat();
  });
  if (new Set(names).size !== names.length) no();
  return { version: 1, memoryMiB, ...("boot" in m ? { boot: boot(m.boot) } : {}), devices };
}

function focus(v: unknown, kinds: string[]): Obj {
  const f = object(v, ["device", "queue"], ["device"]);
  if (typeof f.device !== "string" || !FOCUS_KINDS.includes(f.device) || !kinds.includes(f.device)) no();
  return "queue" in f ? { device: f.device, queue: whole(f.queue, 0, 63) } : { device: f.device };
}

/**
 * The content a version-2 link must decode to, or undefined when it must be refused.
 * `extrasOk` and `scriptOk` are the version-1 oracle's checks (the same rules in both versions).
 */
export function referenceContent(value: unknown, extrasOk: (v: unknown) => boolean, scriptOk: (v: unknown) => boolean): unknown {
  try {
    const c = object(value, [...CONTENT_KEYS, "focus"], CONTENT_KEYS);
    if (!extrasOk(c.cmdlineExtras) || !scriptOk(c.script)) no();
    const m = machine(c.machine) as { devices: Array<{ type: string }> };
    const content = { machine: m, cmdlineExtras: c.cmdlineExtras, script: c.script, panel: choice(c.panel, ["terminal", "inspector"]) };
    return "focus" in c ? { ...content, focus: focus(c.focus, m.devices.map((d) => d.type)) } : content;
  } catch (e) {
    if (e instanceof Refused) return undefined;
    throw e;
  }
}
