// ?net=fetch in Chromium: the guest's HTTP on port 80 is carried by the browser's fetch().
// Two local servers on random ports: one sends Access-Control-Allow-Origin (the guest gets its
// body, sha256 matching, and can POST one), one does not (the browser refuses, and the guest gets our error page
// naming CORS). The servers are not on port 80, so the guest reaches them the way a client
// reaches anything through an HTTP proxy: http_proxy names any host on port 80 and the request
// carries the absolute URL, which the fetch network fetches.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";

const BLOB_BYTES = 3 * 1024 * 1024;
const LONG = 120_000;

function blob(): Buffer {
  const out = Buffer.alloc(BLOB_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

async function listen(cors: boolean, seen: string[]): Promise<{ server: Server; port: number }> {
  const body = blob();
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (cors) res.setHeader("access-control-allow-origin", "*");
    if (req.url === "/upload") {
      const hash = createHash("sha256");
      req.on("data", (d: Buffer) => hash.update(d));
      req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(`${hash.digest("hex").slice(0, 12)}\n`));
    } else if (req.url === "/blob") res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
    else res.writeHead(200, { "content-type": "text/plain" }).end("secret-text\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe("?net=fetch in the browser", () => {
  let site: BuiltSite;
  const seen: string[] = [];
  let withCors: { server: Server; port: number };
  let withoutCors: { server: Server; port: number };
  beforeAll(async () => {
    site = await openBuiltSite();
    withCors = await listen(true, seen);
    withoutCors = await listen(false, seen);
  });
  afterAll(async () => {
    await site?.close();
    for (const s of [withCors, withoutCors]) if (s) await new Promise((r) => (s.server.closeAllConnections(), s.server.close(r)));
  });

  it("carries the guest's HTTP through fetch(): a CORS server's body arrives whole, a server without CORS gets an error page naming it", async () => {
    const page = await site.context.newPage();
    await page.goto(`${site.url}?disk=none&net=fetch`);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "failed", null, { timeout: BOOT_TIMEOUT });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
    await waitForScreen(page, /ringside:~# /);
    await page.locator("#terminal").click();

    // Any name resolves (the host network's name pool); the proxy's name is as good as any.
    const want = createHash("sha256").update(blob()).digest("hex").slice(0, 12);
    await typeLine(page, `clear; export http_proxy=http://fetch-proxy.test:80; wget -q -O - http://127.0.0.1:${withCors.port}/blob | sha256sum | cut -c1-12 | sed 's/^/sha-/'`);
    const text = await waitForScreen(page, /^sha-[0-9a-f]{12}$/m, LONG);
    expect(text).toContain(`sha-${want}`);

    // A request body goes up too (held whole, then sent: see request-body.ts for why). By nc:
    // this busybox's wget --post-file sends GET.
    await typeLine(page, `head -c 1048576 /dev/urandom > /tmp/up; a=$(sha256sum /tmp/up | cut -c1-12); b=$({ printf 'POST http://127.0.0.1:${withCors.port}/upload HTTP/1.0\\r\\nContent-Length: 1048576\\r\\n\\r\\n'; cat /tmp/up; } | nc fetch-proxy.test 80 | tail -n 1); [ "$a" = "$b" ] && echo up-match-$b || echo up-differs-$a-$b`);
    await waitForScreen(page, /^up-(match-[0-9a-f]{12}|differs.*)$/m, LONG);
    expect(await waitForScreen(page, /^up-/m)).toMatch(/^up-match-[0-9a-f]{12}$/m);

    // busybox wget prints no error bodies: ask with nc to see the page the guest gets.
    await typeLine(page, `printf 'GET http://127.0.0.1:${withoutCors.port}/secret HTTP/1.0\\r\\n\\r\\n' | nc fetch-proxy.test 80 | grep -E '^HTTP/|^reason|CORS|Access-Control' | sed 's/^/got: /'`);
    const refused = await waitForScreen(page, /^got: .*Access-Control-Allow-Origin/m, LONG);
    expect(refused).toMatch(/^got: HTTP\/1\.1 502 Bad Gateway/m);
    expect(refused).toMatch(/^got: reason: TypeError: Failed to fetch/m);
    // The opaque probe saw the server answer: the page says it was CORS, not an unreachable server.
    expect(refused).toMatch(/^got: The server answered, but the browser keeps its response from this page: CORS/m);
    expect(refused).not.toContain("secret-text");
    await page.screenshot({ path: `${artifacts}/fetch-network.png` });
    // The browser did ask the server without CORS; it kept the answer from the page.
    expect(seen).toContain("GET /blob");
    expect(seen).toContain("GET /secret");
    expect(seen).toContain("POST /upload");
    await page.close();
  }, LONG);
});
