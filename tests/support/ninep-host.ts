// The host's side of a shared folder in a guest test: a MemoryFs the test reads and fills
// directly (not through 9P), and a machine description with 9p shares on ready-made
// servers, so what the guest wrote can be checked byte for byte where it landed.
import { createHash } from "node:crypto";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import type { FsAttr, Ino } from "../../src/backends/9p/ninep-fs.js";
import type { DeviceDescription, MachineDescription } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";
import type { ResolvedBackend } from "../../src/machine/machine-devices.js";

/** Reads far below the server's own chunking, so the host side never sees one huge buffer. */
const CHUNK = 1024 * 1024;

export interface HostShare {
  tag: string;
  readOnly: boolean;
  fs: MemoryFs;
  server: NinepServer;
}

export function hostShare(tag: string, opts: { readOnly?: boolean; maxBytes?: number } = {}): HostShare {
  const fs = new MemoryFs(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {});
  const readOnly = opts.readOnly ?? false;
  // The server's log lines (limits, refused requests) belong in the test's output.
  const server = new NinepServer(fs, { readOnly, log: (line) => console.warn(`9p ${tag}: ${line}`) });
  return { tag, readOnly, fs, server };
}

/** A machine with the console, the rng and these shares (in this order), and their backends by device index. */
export function shareMachine(shares: readonly HostShare[], memoryMiB = 256): { description: MachineDescription; backends: Map<number, ResolvedBackend> } {
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport: { kind: "pci" } },
    { type: "virtio-rng", transport: { kind: "pci" } },
  ];
  const backends = new Map<number, ResolvedBackend>();
  for (const s of shares) {
    backends.set(devices.length, { share: s.server });
    devices.push({ type: "virtio-9p", transport: { kind: "pci" }, options: { backend: { kind: "memory" }, tag: s.tag, readOnly: s.readOnly } });
  }
  return { description: { version: 1, memoryMiB, cmdline: DEFAULT_CMDLINE, devices }, backends };
}

/** The inode at a slash-separated path from the share's root (throws the FsError ENOENT if absent). */
export function lookupPath(fs: MemoryFs, path: string): FsAttr {
  let attr = fs.getattr(fs.root);
  for (const name of path.split("/").filter((n) => n !== "")) attr = fs.lookup(attr.ino, name);
  return attr;
}

export function existsPath(fs: MemoryFs, path: string): boolean {
  try {
    lookupPath(fs, path);
    return true;
  } catch {
    return false;
  }
}

/** sha256 (hex) of `length` bytes from `offset` of a file, read straight from the filesystem. */
export function sha256OfFile(fs: MemoryFs, path: string, offset = 0, length?: number): string {
  const ino: Ino = lookupPath(fs, path).ino;
  const end = length === undefined ? fs.getattr(ino).size : offset + length;
  const hash = createHash("sha256");
  for (let at = offset; at < end; ) {
    const bytes = fs.read(ino, at, Math.min(CHUNK, end - at));
    if (bytes.length === 0) break;
    hash.update(bytes);
    at += bytes.length;
  }
  return hash.digest("hex");
}

/** Puts a file into the filesystem from the host side (the way a page's Files panel would). */
export function putFile(fs: MemoryFs, name: string, bytes: Uint8Array): void {
  const made = fs.create(fs.root, name, 0o644, { uid: 0, gid: 0 });
  for (let at = 0; at < bytes.length; at += CHUNK) fs.write(made.ino, at, bytes.subarray(at, at + CHUNK));
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
