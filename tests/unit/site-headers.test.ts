// The site's own response headers (public/_headers) and the test server that honours them
// (tests/support/site-headers.ts, static-server.ts): Vite's hashed assets are kept for a year,
// everything else is checked on every load, and a malformed file is refused by line.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headersFor, parseSiteHeaders } from "../support/site-headers.js";
import { serveStatic, type StaticServer } from "../support/static-server.js";

const IMMUTABLE = "public, max-age=31536000, immutable";

describe("the site's _headers", () => {
  it("keeps the hashed assets for a year, and nothing else", async () => {
    const rules = parseSiteHeaders(await readFile(new URL("../../public/_headers", import.meta.url), "utf8"));
    expect(headersFor(rules, "/assets/machine-service-6NsWfYBj.js")).toEqual({ "Cache-Control": IMMUTABLE });
    for (const path of ["/", "/index.html", "/images/shell.state", "/images/shell.state.json", "/favicon.svg", "/assetsx.js"]) {
      expect(headersFor(rules, path)).toEqual({});
    }
  });

  it("reads rules the way the hosts do, and names a line it cannot read", () => {
    const rules = parseSiteHeaders("# comment\n/a/*\n  X-One: 1\n  X-Two:  two words \n\n/b.html\n  X-One: 3\n/*\n  X-All: yes\n");
    expect(headersFor(rules, "/a/deep/file.js")).toEqual({ "X-One": "1", "X-Two": "two words", "X-All": "yes" });
    expect(headersFor(rules, "/b.html")).toEqual({ "X-One": "3", "X-All": "yes" });
    expect(headersFor(rules, "/b.htm")).toEqual({ "X-All": "yes" });
    expect(() => parseSiteHeaders("  X-One: 1\n")).toThrow('_headers line 1: expected an indented "Name: value" under a path');
    expect(() => parseSiteHeaders("/a\n  no colon here\n")).toThrow("_headers line 2");
    expect(() => parseSiteHeaders("assets/*\n")).toThrow('_headers line 1: a path must start with "/"');
  });
});

describe("the test server with a site's _headers", () => {
  let dir = "";
  let server: StaticServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("answers with them (and not with the file itself), or checks every file when told to", async () => {
    dir = await mkdtemp(join(tmpdir(), "ringside-headers-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "assets", "a-123.js"), "export {};");
    await writeFile(join(dir, "index.html"), "<!doctype html>");
    await writeFile(join(dir, "_headers"), "/assets/*\n  cache-control: public, max-age=60, immutable\n");
    server = await serveStatic(dir);
    const asset = await fetch(`${server.url}assets/a-123.js`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=60, immutable");
    expect((await fetch(server.url)).headers.get("cache-control")).toBe("no-cache");
    expect((await fetch(`${server.url}_headers`)).status).toBe(404);
    await server.close();

    server = await serveStatic(dir, "/ringside/", { siteHeaders: false });
    expect((await fetch(`${server.url}assets/a-123.js`)).headers.get("cache-control")).toBe("no-cache");
  });
});
