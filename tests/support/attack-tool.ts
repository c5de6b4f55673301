// The in-guest attack tool (images/tools/attack/): built on demand into .cache/attack/ by
// images/tools/build-attack.sh (when missing or older than any source), and carried into
// the guest on a disk of its own: the binary from sector 0, the rest of the disk a known
// pattern, so the disk doubles as a data disk whose sha256 the tests can check. In the
// guest: `head -c LENGTH /dev/vdX > /tmp/attack`.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCES = join(ROOT, "images/tools/attack");
const SCRIPT = join(ROOT, "images/tools/build-attack.sh");
export const ATTACK_BINARY = join(ROOT, ".cache/attack/attack");

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** The tool's bytes, rebuilt first when the binary is missing or older than a source or the script. */
export function attackTool(): Uint8Array {
  const built = mtime(ATTACK_BINARY);
  const inputs = [SCRIPT, ...readdirSync(SOURCES).map((name) => join(SOURCES, name))];
  if (inputs.some((path) => mtime(path) > built)) execFileSync("sh", [SCRIPT, ATTACK_BINARY], { stdio: ["ignore", "ignore", "inherit"] });
  return new Uint8Array(readFileSync(ATTACK_BINARY));
}

export interface ToolDisk {
  /** The whole disk image. */
  image: Uint8Array;
  /** Bytes of the tool at the start of the disk. */
  toolBytes: number;
  toolSha256: string;
  sha256: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A disk of `bytes` bytes: the tool, then an xorshift pattern to the end. */
export function toolDisk(tool: Uint8Array, bytes: number, seed: number): ToolDisk {
  if (tool.length > bytes) throw new Error("the tool does not fit on its disk");
  const image = patternBytes(bytes, seed);
  image.set(tool, 0);
  return { image, toolBytes: tool.length, toolSha256: sha256(tool), sha256: sha256(image) };
}

/** Bytes from xorshift32: the same every run for a seed. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** key=value pairs from the tool's output (the last value of a key wins); "request=" lines are left to the caller. */
export function parseResults(output: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of output.split("\n")) {
    if (line.startsWith("request=")) continue;
    const eq = line.indexOf("=");
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/** One result as a number; throws (naming the key and the output) when missing. */
export function numberOf(results: Map<string, string>, key: string): number {
  const text = results.get(key);
  const value = text === undefined ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new Error(`the tool printed no number for ${key}: ${JSON.stringify(Object.fromEntries(results))}`);
  return value;
}
