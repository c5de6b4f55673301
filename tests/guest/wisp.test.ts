// `npm run vm -- --net wisp=ws://127.0.0.1:PORT/` as a user runs it, against a real wisp
// server (@mercuryworkshop/wisp-js) started here on loopback: busybox wget in the guest
// fetches from a local HTTP server by a name only the wisp server resolves (the guest's DNS
// answers from the host network's name pool), 16 MiB down and up with their sha256, several at once, and
// then the wisp server is killed in the middle of a download: wget fails, the shell answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.js";
import {
  FILES_HOST, patternSha256, startFileServer, startWispServer, type FileServer, type LocalWispServer,
} from "../support/wisp-server.js";

const MiB = 1024 * 1024;
/** Both ways through the guest (the unit tests move 64 MiB each way through the same server). */
const BIG = 16 * MiB;
const SMALL = [3 * MiB + 1, 4 * MiB + 7, 5 * MiB + 11];
/** Long enough that the kill surely comes before its end. */
const DOOMED = 1024 * MiB;
const KILL_AFTER = 8 * MiB;

let wisp: LocalWispServer;
let files: FileServer;
let killedAt = 0;

beforeAll(async () => {
  wisp = await startWispServer();
  files = await startFileServer({
    onBlock: (path, sent) => {
      if (path === `/bytes/${DOOMED}` && sent >= KILL_AFTER && killedAt === 0) {
        killedAt = sent;
        void wisp.kill();
      }
    },
  });
});
afterAll(async () => {
  await wisp.kill();
  await files.close();
});

const url = (bytes: number) => `http://${FILES_HOST}:${files.port}/bytes/${bytes}`;

describe("npm run vm -- --net wisp=URL", () => {
  it("downloads by name through a real wisp server, several at once, and survives the server dying mid-transfer", async () => {
    const parallel = SMALL.map((n, i) => `(wget -q -O - '${url(n)}' | sha256sum > /tmp/s${i}) &`).join(" ");
    const run = await runCli([
      "--net", `wisp=${wisp.url}`, "--timeout", "50",
      "--exec", `wget -q -O - '${url(BIG)}' | sha256sum`,
      "--exec", `${parallel} wait; cat /tmp/s0 /tmp/s1 /tmp/s2`,
      // 16 MiB up (by nc: busybox wget posts a file only up to its first NUL): the guest's own
      // sum of what it sent, then the server's sum of what arrived.
      "--exec", `head -c ${BIG} /dev/urandom > /tmp/u; sha256sum /tmp/u | cut -c1-64; ` +
        `{ printf 'POST /upload HTTP/1.0\\r\\nHost: ${FILES_HOST}\\r\\nContent-Length: ${BIG}\\r\\n\\r\\n'; cat /tmp/u; } | nc ${FILES_HOST} ${files.port} | tail -n 1; echo; rm /tmp/u`,
      "--exec", `wget -q -O /dev/null '${url(DOOMED)}'; echo wget=$?`,
      "--exec", "echo the shell answers",
    ]);
    const lines = run.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(lines[0]).toBe(`${patternSha256(BIG)}  -`);
    expect(lines.slice(1, 4)).toEqual(SMALL.map((n) => `${patternSha256(n)}  -`));
    expect(lines[4]).toMatch(/^[0-9a-f]{64}$/);
    expect(lines[5]).toBe(lines[4]);
    expect(killedAt).toBeGreaterThanOrEqual(KILL_AFTER);
    // The download is cut short: the host network aborts the guest's connection (an RST) when
    // the wisp connection dies. Which words wget prints depends on which of its reads meets
    // the reset: Linux reports ECONNRESET once (sock_error clears it) and a later read of the
    // closed socket returns end-of-file, so busybox may report either.
    expect(lines[6]).toMatch(/^wget: (read error: Connection reset by peer|connection closed prematurely)$/);
    expect(lines.slice(7)).toEqual(["wget=1", "the shell answers"]);
    expect(run.stderr).toMatch(/wisp: connection lost/);
  }, 90_000);
});
