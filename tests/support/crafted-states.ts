// State files that must be refused, made from a real one: the layout is that of
// src/snapshot/state-file.ts (gzip of the magic line, a u32 header length, the JSON header,
// then the byte arrays), written here with Node's zlib so the test does not lean on the
// code it checks.
import { gunzipSync, gzipSync } from "node:zlib";

const MAGIC = "RINGSIDE-STATE\n";

/** The same state with `edit` applied to its JSON header (e.g. another version). */
export function withEditedHeader(file: Buffer, edit: (state: Record<string, unknown>) => void): Buffer {
  const raw = gunzipSync(file);
  if (raw.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) throw new Error("not a state file");
  const length = raw.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const state = JSON.parse(raw.subarray(start, start + length).toString("utf8")) as Record<string, unknown>;
  edit(state);
  const header = Buffer.from(JSON.stringify(state), "utf8");
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  return gzipSync(Buffer.concat([raw.subarray(0, MAGIC.length), size, header, raw.subarray(start + length)]));
}

/** The machine header inside a state (the `header` field of the top object). */
export function machineHeader(state: Record<string, unknown>): Record<string, unknown> {
  const header = state["header"];
  if (typeof header !== "object" || header === null) throw new Error("the state has no header");
  return header as Record<string, unknown>;
}
