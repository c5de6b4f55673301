// The share-link fuzzer's oracle: a second, separately written decoder for the link format
// (`#demo=1.` or `#demo=2.<base64url of deflate-raw JSON>`, fragment at most 8 KiB, JSON at
// most 16 KiB) built on Node's Buffer and zlib instead of the page's atob and
// DecompressionStream; the acceptance rules of a version-1 configuration written out again
// from share-config.ts's doc, with the machine the page's options build for it (README:
// console, rng, the page's 256 MiB disk ringside-disk.img, one card); and version 2's rules
// in fuzz-share-machine-oracle.ts. The real decoder must reach the same outcome on every
// input: not a link, refused, or exactly the same content.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../../src/machine/options.js";
import { referenceContent } from "./fuzz-share-machine-oracle.js";

export const FIELDS = ["memoryMiB", "disk", "network", "policy", "cmdlineExtras", "script", "panel"];
const CHOICES: Record<string, readonly string[]> = {
  disk: ["opfs", "none"],
  network: ["host", "switch", "none"],
  policy: ["shared", "per-queue"],
  panel: ["terminal", "inspector"],
};
const RESERVED = ["console", "earlyprintk", "ip", "init", "rdinit", "root", "loglevel", "quiet", "panic"];

export function cmdlineOk(extras: unknown): boolean {
  if (typeof extras !== "string" || extras.length > 256) return false;
  if (extras === "") return true;
  return extras.split(" ").every((token) => {
    const name = token.split("=")[0]!;
    return /^[A-Za-z0-9][A-Za-z0-9._,:+/=-]*$/.test(token) && !RESERVED.includes(name) && !name.startsWith("ringside.");
  });
}

export function scriptOk(script: unknown): boolean {
  if (typeof script !== "string" || script.length > 4096) return false;
  for (let i = 0; i < script.length; i++) {
    const c = script.charCodeAt(i);
    if (!(c === 0x0a || c === 0x09 || (c >= 0x20 && c <= 0x7e))) return false;
  }
  return true;
}

/** Whether a decoded value is a configuration a link may carry. */
export function acceptable(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== FIELDS.length || !FIELDS.every((f) => keys.includes(f))) return false;
  const memory = record.memoryMiB;
  if (typeof memory !== "number" || !Number.isInteger(memory) || memory < MIN_MEMORY_MIB || memory > MAX_MEMORY_MIB) return false;
  for (const [field, allowed] of Object.entries(CHOICES)) {
    if (typeof record[field] !== "string" || !allowed.includes(record[field])) return false;
  }
  return cmdlineOk(record.cmdlineExtras) && scriptOk(record.script);
}

export type Outcome = { kind: "not a link" } | { kind: "refused" } | { kind: "config"; value: unknown };

/** The version-2 content a version-1 configuration stands for. */
export function contentOfVersion1(config: Record<string, unknown>): unknown {
  const pci = { kind: "pci" };
  const devices: unknown[] = [{ type: "virtio-console", transport: pci }, { type: "virtio-rng", transport: pci }];
  if (config.disk === "opfs") {
    devices.push({ type: "virtio-blk", transport: pci, options: { backend: { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 }, readOnly: false } });
  }
  if (config.network !== "none") {
    devices.push({ type: "virtio-net", transport: pci, options: { backend: { kind: config.network }, policy: config.policy, ip: "auto" } });
  }
  return { machine: { version: 1, memoryMiB: config.memoryMiB, devices }, cmdlineExtras: config.cmdlineExtras, script: config.script, panel: config.panel };
}

/** What decoding `hash` must give. */
export function referenceDecode(hash: string): Outcome {
  const fragment = hash.startsWith("#") ? hash.slice(1) : hash;
  if (!fragment.startsWith("demo=")) return { kind: "not a link" };
  const refused = { kind: "refused" } as const;
  if (fragment.length > 8192) return refused;
  const body = fragment.slice("demo=".length);
  const dot = body.indexOf(".");
  const version = dot < 0 ? "" : body.slice(0, dot);
  if (version !== "1" && version !== "2") return refused;
  const data = body.slice(dot + 1);
  // Canonical base64url only: the alphabet, and the text Buffer would write for the bytes.
  if (!/^[A-Za-z0-9_-]*$/.test(data)) return refused;
  const compressed = Buffer.from(data, "base64url");
  if (compressed.toString("base64url") !== data) return refused;
  let json: Buffer;
  try {
    json = inflateRawSync(compressed, { maxOutputLength: 16 * 1024 });
  } catch {
    return refused;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch {
    return refused;
  }
  if (version === "1") return acceptable(value) ? { kind: "config", value: contentOfVersion1(value as Record<string, unknown>) } : refused;
  const content = referenceContent(value, cmdlineOk, scriptOk);
  return content === undefined ? refused : { kind: "config", value: content };
}

/** A link carrying `bytes` as they are, compressed by zlib (not the code under test). */
export function linkOf(bytes: Uint8Array, level = 6, version = 1): string {
  return `#demo=${version}.${deflateRawSync(bytes, { level }).toString("base64url")}`;
}
