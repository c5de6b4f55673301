// ?net=wisp&wisp=ws://... in Chromium: the page's worker carries the guest's TCP as streams
// of a real wisp server (@mercuryworkshop/wisp-js) on loopback, over the browser's own
// WebSocket. The guest downloads by a name only the wisp server resolves (its DNS answers
// from the host network's name pool) with a matching sha256; then the server goes away and
// the guest's next download is reset while the shell carries on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForShell } from "../support/page-shell.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { FILES_HOST, patternSha256, startFileServer, startWispServer, type FileServer, type LocalWispServer } from "../support/wisp-server.js";

const LONG = 120_000;
const BYTES = 8 * 1024 * 1024 + 3;

describe("?net=wisp in the browser", () => {
  let site: BuiltSite;
  let wisp: LocalWispServer;
  let files: FileServer;
  beforeAll(async () => {
    site = await openBuiltSite();
    wisp = await startWispServer();
    files = await startFileServer();
  });
  afterAll(async () => {
    await site?.close();
    await wisp?.kill();
    await files?.close();
  });

  it("downloads by name through the wisp server, and the guest sees a reset when the server goes away", async () => {
    const page = await site.context.newPage();
    const logs: string[] = [];
    page.on("console", (m) => logs.push(m.text()));
    await page.goto(`${site.url}?disk=none&net=wisp&wisp=${encodeURIComponent(wisp.url)}`);
    await waitForShell(page);
    const url = `http://${FILES_HOST}:${files.port}/bytes/${BYTES}`;
    await typeLine(page, `clear; wget -q -O - '${url}' | sha256sum | cut -c1-64 | sed 's/^/sha-/'`);
    const text = await waitForScreen(page, /^sha-[0-9a-f]{64}$/m, LONG);
    expect(text).toContain(`sha-${patternSha256(BYTES)}`);
    expect(logs.some((l) => l.includes(`network: TCP through the wisp server ${wisp.url}`))).toBe(true);
    await page.screenshot({ path: `${artifacts}/wisp-network.png` });

    await wisp.kill();
    await typeLine(page, `clear; wget -q -O /dev/null '${url}'; echo wget-exit-$?; echo still-here`);
    const after = await waitForScreen(page, /^still-here$/m, LONG);
    expect(after).toMatch(/^wget-exit-1$/m);
    await page.close();
  }, LONG);
});
