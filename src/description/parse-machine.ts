// The one parser of machine descriptions: JSON from a file, a share link, a saved state's
// header or a producer's own object all come through here. It is strict (every field
// known, every value in range) and fills in the defaults, so what it returns is complete;
// every error names the field and what was wrong, e.g.
//   machine description: devices[2].options.backend.path must be a non-empty path ... (got "")
import { StateReader } from "../snapshot/state-reader.js";
import {
  DEVICE_TYPES, MACHINE_DESCRIPTION_VERSION, type BalloonOptions, type BlkOptions, type NinepOptions, type ShareBackendDescription, type BootDescription, type ImageSource, type DeviceDescription, type DiskBackendDescription, type GuestIp,
  type MachineDescription, type NetBackendDescription, type NetOptions, type QueueDescription,
  RING_LAYOUTS,
} from "./machine-description.js";
import { readTransport } from "./read-transport.js";
import {
  MAX_CMDLINE_BYTES, MAX_DEVICES, MAX_DISK_MIB, MAX_MEMORY_MIB, MAX_QUEUE_SIZE, MIN_MEMORY_MIB, MIN_QUEUE_SIZE, QUEUE_COUNT,
} from "./limits.js";
import { errorMessage } from "../util/error-message.js";
import { checkWispUrl, MAX_HOST_FORWARDS, type HostForward } from "./net-backend.js";

const SUBJECT = "machine description";
const ID = /^[A-Za-z][A-Za-z0-9._-]{0,31}$/;
const OPFS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A 9P mount tag: also a word of the kernel command line (ringside.9p=TAG,PATH) and a folder name. */
export const MOUNT_TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/;
/** A guest path for a mount point: absolute, no spaces or commas (it goes on the command line). */
const GUEST_PATH = /^\/[A-Za-z0-9._/-]{1,254}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Thrown for a description that cannot be used; the message names the field. */
export class DescriptionError extends Error {
  override name = "DescriptionError";
}

/** Reads and checks a machine description; throws DescriptionError naming the first bad field. */
export function parseMachineDescription(value: unknown, subject = SUBJECT): MachineDescription {
  try {
    return readMachine(new StateReader(value, "", subject));
  } catch (e) {
    if (e instanceof DescriptionError) throw e;
    throw new DescriptionError(errorMessage(e));
  }
}

/** Parses JSON text, saying where it is not JSON. */
export function parseMachineJson(text: string, source: string): MachineDescription {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DescriptionError(`${source} is not JSON: ${errorMessage(e)}`);
  }
  return parseMachineDescription(value, `${SUBJECT} ${source}`);
}

function readMachine(r: StateReader): MachineDescription {
  r.onlyFields(["version", "memoryMiB", "cmdline", "boot", "devices"]);
  const version = r.field("version").integer(0, 1_000_000);
  if (version !== MACHINE_DESCRIPTION_VERSION) r.field("version").fail(`${MACHINE_DESCRIPTION_VERSION} (this ringside reads version ${MACHINE_DESCRIPTION_VERSION})`);
  const memoryMiB = r.field("memoryMiB").integer(MIN_MEMORY_MIB, MAX_MEMORY_MIB);
  const cmdline = r.field("cmdline").string(4 * MAX_CMDLINE_BYTES);
  if (new TextEncoder().encode(cmdline).length > MAX_CMDLINE_BYTES) r.field("cmdline").fail(`at most ${MAX_CMDLINE_BYTES} bytes (the boot protocol's limit)`);
  if (/[\0\n\r]/.test(cmdline)) r.field("cmdline").fail("one line without NUL characters");
  const boot = r.has("boot") ? readBoot(r.field("boot")) : undefined;
  const devices = r.field("devices").items(MAX_DEVICES).map(readDevice);
  checkUnique(r, devices);
  const balloon = devices.find((d) => d.type === "virtio-balloon");
  if (balloon?.type === "virtio-balloon" && balloon.options.targetMiB >= memoryMiB) {
    r.field("devices").fail(`a balloon target below the memory (${memoryMiB} MiB; got ${balloon.options.targetMiB} MiB)`);
  }
  if (boot?.kind === "disk" && !devices.some((d) => d.type === "virtio-blk")) r.field("boot").fail("a kernel: booting from a disk needs a virtio-blk device");
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB, cmdline, ...(boot ? { boot } : {}), devices };
}

function readBoot(r: StateReader): BootDescription {
  const kind = r.field("kind").oneOf(["kernel", "disk"] as const);
  if (kind === "disk") {
    r.onlyFields(["kind"]);
    return { kind };
  }
  r.onlyFields(["kind", "kernel", "initrd"]);
  return { kind, kernel: readImageSource(r.field("kernel")), ...(r.has("initrd") ? { initrd: readImageSource(r.field("initrd")) } : {}) };
}

function readImageSource(r: StateReader): ImageSource {
  const kind = r.field("kind").oneOf(["bundled", "file", "url", "opfs"] as const);
  if (kind === "bundled") {
    r.onlyFields(["kind"]);
    return { kind };
  }
  if (kind === "file") {
    r.onlyFields(["kind", "path"]);
    const path = r.field("path").string(4096);
    if (path === "" || path.includes("\0")) r.field("path").fail("a non-empty path without NUL characters");
    return { kind, path };
  }
  if (kind === "url") {
    r.onlyFields(["kind", "url"]);
    const url = r.field("url").string(2048);
    if (!/^https?:\/\/[^\s]+$/i.test(url)) r.field("url").fail("an http:// or https:// address");
    return { kind, url };
  }
  r.onlyFields(["kind", "name"]);
  const name = r.field("name").string(64);
  if (!OPFS_NAME.test(name)) r.field("name").fail("a file name of letters, digits, '.', '_' and '-'");
  return { kind, name };
}

function readDevice(r: StateReader): DeviceDescription {
  const type = r.field("type").oneOf(DEVICE_TYPES);
  const hasOptions = type === "virtio-blk" || type === "virtio-net" || type === "virtio-9p" || type === "virtio-balloon";
  r.onlyFields(hasOptions ? ["type", "id", "transport", "queues", "ring", "options"] : ["type", "id", "transport", "queues", "ring"]);
  const id = r.has("id") ? r.field("id").string(32) : undefined;
  if (id !== undefined && !ID.test(id)) r.field("id").fail("a name of letters, digits, '.', '_' and '-', starting with a letter");
  const common = {
    ...(id !== undefined ? { id } : {}),
    transport: r.has("transport") ? readTransport(r.field("transport")) : { kind: "pci" as const },
    ...(r.has("queues") ? { queues: readQueues(r.field("queues"), QUEUE_COUNT[type]) } : {}),
    ...(r.has("ring") ? { ring: r.field("ring").oneOf(RING_LAYOUTS) } : {}),
  };
  switch (type) {
    case "virtio-blk": return { type, ...common, options: readBlk(r.field("options")) };
    case "virtio-net": return { type, ...common, options: readNet(r.field("options")) };
    case "virtio-9p": return { type, ...common, options: readNinep(r.field("options")) };
    case "virtio-balloon": return { type, ...common, options: readBalloon(r.field("options")) };
    default: return { type, ...common };
  }
}

function readQueues(r: StateReader, count: number): QueueDescription[] {
  return r.items(count).map((q) => {
    q.onlyFields(["size"]);
    if (!q.has("size")) return {};
    const size = q.field("size").integer(MIN_QUEUE_SIZE, MAX_QUEUE_SIZE);
    if ((size & (size - 1)) !== 0) q.field("size").fail(`a power of two from ${MIN_QUEUE_SIZE} to ${MAX_QUEUE_SIZE}`);
    return { size };
  });
}

function readBlk(r: StateReader): BlkOptions {
  r.onlyFields(["backend", "readOnly"]);
  return { backend: readDiskBackend(r.field("backend")), readOnly: r.has("readOnly") ? r.field("readOnly").boolean() : false };
}

function readDiskBackend(r: StateReader): DiskBackendDescription {
  const kind = r.field("kind").oneOf(["file", "memory", "opfs"] as const);
  if (kind === "file") {
    r.onlyFields(["kind", "path", "createSizeMiB"]);
    const path = r.field("path").string(4096);
    if (path === "" || path.includes("\0")) r.field("path").fail("a non-empty path without NUL characters");
    return { kind, path, ...(r.has("createSizeMiB") ? { createSizeMiB: r.field("createSizeMiB").integer(1, MAX_DISK_MIB) } : {}) };
  }
  if (kind === "memory") {
    r.onlyFields(["kind", "sizeMiB"]);
    return { kind, sizeMiB: r.field("sizeMiB").integer(1, MAX_DISK_MIB) };
  }
  r.onlyFields(["kind", "name", "sizeMiB"]);
  const name = r.field("name").string(64);
  if (!OPFS_NAME.test(name)) r.field("name").fail("a file name of letters, digits, '.', '_' and '-'");
  return { kind, name, sizeMiB: r.field("sizeMiB").integer(1, MAX_DISK_MIB) };
}

function readNet(r: StateReader): NetOptions {
  r.onlyFields(["backend", "mac", "policy", "ip"]);
  const options: NetOptions = {
    backend: readNetBackend(r.field("backend")),
    policy: r.has("policy") ? r.field("policy").oneOf(["shared", "per-queue"] as const) : "shared",
    ip: r.has("ip") ? readIp(r.field("ip")) : "auto",
  };
  if (r.has("mac")) {
    const mac = r.field("mac").string(17);
    if (!MAC.test(mac)) r.field("mac").fail("a MAC address aa:bb:cc:dd:ee:ff");
    if (parseInt(mac.slice(0, 2), 16) & 1) r.field("mac").fail("a unicast MAC address (the first byte's low bit clear)");
    options.mac = mac.toLowerCase();
  }
  return options;
}

function readNinep(r: StateReader): NinepOptions {
  r.onlyFields(["backend", "tag", "readOnly", "mountPoint"]);
  const tag = r.has("tag") ? r.field("tag").string(31) : "host";
  if (!MOUNT_TAG.test(tag)) r.field("tag").fail("a mount tag of 1 to 31 letters, digits, '.', '_' and '-', starting with a letter or digit");
  const options: NinepOptions = {
    backend: readShareBackend(r.field("backend")), tag, readOnly: r.has("readOnly") ? r.field("readOnly").boolean() : false,
  };
  if (r.has("mountPoint")) {
    const mountPoint = r.field("mountPoint").string(255);
    if (!GUEST_PATH.test(mountPoint) || mountPoint.split("/").some((p) => p === "." || p === "..")) {
      r.field("mountPoint").fail("an absolute guest path of letters, digits, '.', '_', '-' and '/', without . or .. parts");
    }
    options.mountPoint = mountPoint;
  }
  return options;
}

function readShareBackend(r: StateReader): ShareBackendDescription {
  const kind = r.field("kind").oneOf(["directory", "opfs", "memory"] as const);
  if (kind === "memory") {
    r.onlyFields(["kind"]);
    return { kind };
  }
  if (kind === "directory") {
    r.onlyFields(["kind", "path"]);
    const path = r.field("path").string(4096);
    if (path === "" || path.includes("\0")) r.field("path").fail("a non-empty path without NUL characters");
    return { kind, path };
  }
  r.onlyFields(["kind", "name"]);
  const name = r.field("name").string(64);
  if (!OPFS_NAME.test(name)) r.field("name").fail("a folder name of letters, digits, '.', '_' and '-'");
  return { kind, name };
}

function readBalloon(r: StateReader): BalloonOptions {
  r.onlyFields(["targetMiB"]);
  return { targetMiB: r.has("targetMiB") ? r.field("targetMiB").integer(0, MAX_MEMORY_MIB) : 0 };
}

function readNetBackend(r: StateReader): NetBackendDescription {
  const kind = r.field("kind").oneOf(["host", "switch", "relay", "wisp", "fetch", "user"] as const);
  if (kind === "relay" || kind === "wisp") {
    r.onlyFields(["kind", "url"]);
    const url = r.field("url").string(2048);
    if (!/^wss?:\/\/[^\s]+$/i.test(url)) r.field("url").fail("a ws:// or wss:// address");
    if (kind === "wisp") {
      try {
        checkWispUrl(url);
      } catch (err) {
        r.field("url").fail(`a wisp server's address (${errorMessage(err)})`);
      }
    }
    return { kind, url };
  }
  if (kind === "user") {
    r.onlyFields(["kind", "hostfwd"]);
    if (!r.has("hostfwd")) return { kind };
    const hostfwd = r.field("hostfwd").items(MAX_HOST_FORWARDS).map((item): HostForward => {
      item.onlyFields(["protocol", "hostPort", "guestPort"]);
      item.field("protocol").oneOf(["tcp"] as const);
      return { protocol: "tcp", hostPort: item.field("hostPort").integer(1, 65535), guestPort: item.field("guestPort").integer(1, 65535) };
    });
    const ports = hostfwd.map((f) => f.hostPort);
    if (new Set(ports).size !== ports.length) r.field("hostfwd").fail("forwards from different host ports");
    return { kind, hostfwd };
  }
  r.onlyFields(["kind"]);
  return { kind };
}

function readIp(r: StateReader): GuestIp {
  if (r.isString()) return r.oneOf(["auto", "dhcp"] as const);
  r.onlyFields(["address", "prefix", "gateway"]);
  const address = r.field("address").string(15);
  if (!IPV4.test(address)) r.field("address").fail("a dotted IPv4 address");
  const prefix = r.field("prefix").integer(1, 30);
  if (!r.has("gateway")) return { address, prefix };
  const gateway = r.field("gateway").string(15);
  if (!IPV4.test(gateway)) r.field("gateway").fail("a dotted IPv4 address");
  return { address, prefix, gateway };
}

/** Ids, slots and MACs name one device each. */
function checkUnique(r: StateReader, devices: DeviceDescription[]): void {
  const seen = new Map<string, number>();
  devices.forEach((d, i) => {
    const keys = [
      d.id !== undefined ? `id ${JSON.stringify(d.id)}` : undefined,
      d.transport.kind === "pci" && d.transport.slot !== undefined ? `PCI slot ${d.transport.slot}` : undefined,
      d.transport.kind === "mmio" && d.transport.base !== undefined ? `virtio-mmio address 0x${d.transport.base.toString(16)}` : undefined,
      d.type === "virtio-net" && d.options.mac !== undefined ? `MAC ${d.options.mac}` : undefined,
      d.type === "virtio-9p" ? `mount tag ${JSON.stringify(d.options.tag)}` : undefined,
      d.type === "virtio-balloon" ? "the balloon (a machine has at most one)" : undefined,
    ];
    for (const key of keys) {
      if (key === undefined) continue;
      const first = seen.get(key);
      if (first !== undefined) r.field("devices").items(MAX_DEVICES)[i]!.fail(`a device of its own: devices[${first}] already has ${key}`);
      seen.set(key, i);
    }
  });
}
