// The state file's download worker (src/worker/state-download.ts), run here with a fake
// worker scope and a fake server: it reads its address from its name, reports the file's
// length and every byte as it arrives, and ends with the inflated file and the sha256 of
// the file as it came, or with an error that names what was wrong; either way it closes.
// Its reports are read back by the machine's worker's side (state-download-client.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { gunzipSync } from "node:zlib";
import { sha256Hex } from "../../src/util/sha256-hex.js";
import { stateDownloadName, type StateDownloadReport } from "../../src/worker/state-download-messages.js";
import { downloadedState } from "../../src/worker/state-download-client.js";

const URL_OK = "https://ringside.test/images/shell.state";

/** Runs the download worker's module once under `name`, against a server of `files`; resolves with its reports once it closes. */
async function runDownload(name: string, files: Record<string, Uint8Array>): Promise<StateDownloadReport[]> {
  const reports: StateDownloadReport[] = [];
  let closed: () => void = () => {};
  const done = new Promise<void>((resolve) => (closed = resolve));
  vi.stubGlobal("self", { name, postMessage: (m: StateDownloadReport) => void reports.push(m), close: () => closed() });
  vi.stubGlobal("fetch", async (input: string) => {
    const body = files[input];
    if (!body) return new Response("missing", { status: 404, statusText: "Not Found" });
    // Arrives in pieces, as a download does.
    const pieces = [body.subarray(0, 100_000), body.subarray(100_000, 400_000), body.subarray(400_000)];
    const stream = new ReadableStream<Uint8Array>({ start(c) { for (const p of pieces) if (p.length) c.enqueue(p); c.close(); } });
    return new Response(stream, { headers: { "content-length": String(body.length) } });
  });
  vi.resetModules();
  await import("../../src/worker/state-download.js");
  await done;
  return reports;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the state file's download worker", () => {
  it("reports the length and all the bytes, then the inflated file and the sha256 of the file as it came", async () => {
    const file = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, "shell.state")));
    const reports = await runDownload(stateDownloadName(URL_OK), { [URL_OK]: file });
    expect(reports[0]).toEqual({ kind: "length", bytes: file.length });
    const progress = reports.filter((r) => r.kind === "bytes").reduce((n, r) => n + (r.kind === "bytes" ? r.bytes : 0), 0);
    expect(progress).toBe(file.length);
    // Progress goes out in steps, not once per piece of every size.
    expect(reports.filter((r) => r.kind === "bytes").length).toBeLessThanOrEqual(Math.ceil(file.length / (256 * 1024)) + 1);
    // The header goes out before the end (how early: boot-loading.test.ts, inflateStateStream).
    expect(reports.filter((r) => r.kind === "header")).toHaveLength(1);
    expect(reports.findIndex((r) => r.kind === "header")).toBeLessThan(reports.length - 1);
    const last = reports.at(-1)!;
    expect(last.kind).toBe("done");
    if (last.kind !== "done") return;
    expect(last.sha256).toBe(await sha256Hex(file));
    // The very bytes gzip gives (compared as buffers: a deep comparison of 20 MB is slow).
    expect(Buffer.from(last.inflated).equals(gunzipSync(file))).toBe(true);
  });

  it("says which address failed and how", async () => {
    const reports = await runDownload(stateDownloadName(URL_OK), {});
    expect(reports).toEqual([{ kind: "error", message: `cannot fetch ${URL_OK}: HTTP 404 Not Found` }]);
  });

  it("refuses a file that is not a state file", async () => {
    const reports = await runDownload(stateDownloadName(URL_OK), { [URL_OK]: new TextEncoder().encode("<html>not here</html>") });
    expect(reports.at(-1)).toEqual({ kind: "error", message: "this is not a ringside state file (it is not gzip-compressed)" });
  });

  it("refuses to start without an address in its name", async () => {
    const reports = await runDownload("ringside-machine", {});
    expect(reports).toEqual([{ kind: "error", message: 'a state download worker must be named "ringside-state-download <url>", not "ringside-machine"' }]);
  });
});

describe("the machine's worker's side", () => {
  /** Reports delivered as a worker or a port would deliver them. */
  function source(reports: StateDownloadReport[]) {
    return {
      addEventListener(_type: "message", listener: (event: MessageEvent<StateDownloadReport>) => void): void {
        queueMicrotask(() => {
          for (const data of reports) listener({ data } as MessageEvent<StateDownloadReport>);
        });
      },
    };
  }

  it("follows the progress and checks the state it is given", async () => {
    const file = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, "shell.state")));
    const reports = await runDownload(stateDownloadName(URL_OK), { [URL_OK]: file });
    const seen: string[] = [];
    const arriving = downloadedState(source(reports), { length: (n) => seen.push(`length ${n}`), bytes: (n) => seen.push(`bytes ${n}`) });
    const header = await arriving.header;
    const state = await arriving.whole;
    expect(seen[0]).toBe(`length ${file.length}`);
    expect(seen.length).toBe(reports.length - 2); // every report but the header and the end
    expect(state.sha256).toBe(await sha256Hex(file));
    expect(header).toEqual(state.snapshot.header);
    expect(header.machine.devices.length).toBeGreaterThan(0);
  });

  it("rejects with the worker's reason, and on bytes that are not a state", async () => {
    const progress = { length: () => {}, bytes: () => {} };
    const failed = downloadedState(source([{ kind: "error", message: "cannot fetch x: HTTP 500" }]), progress);
    await expect(failed.header).rejects.toThrow("cannot fetch x: HTTP 500");
    await expect(failed.whole).rejects.toThrow("cannot fetch x: HTTP 500");
    // A header that is not a machine state's fails both at once.
    const badHeader = downloadedState(source([{ kind: "header", header: { header: { format: "other" } } }]), progress);
    await expect(badHeader.header).rejects.toThrow(/ringside-machine-state/);
    await expect(badHeader.whole).rejects.toThrow(/ringside-machine-state/);
    const junk: StateDownloadReport = { kind: "done", inflated: new TextEncoder().encode("RINGSIDE-STATE\nxx"), sha256: "0" };
    await expect(downloadedState(source([junk]), progress).whole).rejects.toThrow(/not a ringside state file|truncated or damaged/);
  });
});
