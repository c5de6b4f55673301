// A minimal static file server for the built page, mounted under a sub-path so the tests
// prove the build works from any static host, not only at the site root.
import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { headersFor, parseSiteHeaders, type HeaderRule } from "./site-headers.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".map": "application/json",
};

export interface StaticServer {
  /** URL of the mounted site, ending in "/". */
  url: string;
  close(): Promise<void>;
}

export interface StaticOptions {
  /**
   * Headers added to every answer, e.g. COOP/COEP to make the page cross-origin isolated
   * (which performance.measureUserAgentSpecificMemory() needs). None by default.
   */
  headers?: Record<string, string>;
  /** Told of every request (method and path), before it is answered: tests check what was fetched, and when. */
  onRequest?: (method: string, path: string) => void;
  /**
   * Whether the site's own _headers file (public/_headers: its hashed assets kept for a
   * year) is honoured, as Netlify and Cloudflare Pages do; true by default. With false every
   * file is checked on every use, the strictest of the usual setups.
   */
  siteHeaders?: boolean;
}

/** The rules of the site's _headers file, when it has one and they are wanted. */
function siteRules(root: string, wanted: boolean): HeaderRule[] {
  const file = join(root, "_headers");
  return wanted && existsSync(file) ? parseSiteHeaders(readFileSync(file, "utf8")) : [];
}

/** `base` with `extra` laid over it, header names compared without regard to case. */
function withHeaders(base: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const out = { ...base };
  for (const [name, value] of Object.entries(extra)) {
    for (const key of Object.keys(out)) if (key.toLowerCase() === name.toLowerCase()) delete out[key];
    out[name] = value;
  }
  return out;
}

/** The header that lets a page of any origin read the answers (CORS), for serving kernels to the page. */
export const ANY_ORIGIN = { "Access-Control-Allow-Origin": "*" };

export async function serveStatic(root: string, mount = "/ringside/", options: StaticOptions = {}): Promise<StaticServer> {
  const extra = options.headers ?? {};
  const rules = siteRules(root, options.siteHeaders ?? true);
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/");
    options.onRequest?.(req.method ?? "GET", path);
    if (!path.startsWith(mount)) {
      res.writeHead(404).end("not under the mount point");
      return;
    }
    const sitePath = `/${path.slice(mount.length)}`;
    // The host reads _headers; it is not one of the site's pages.
    if (sitePath === "/_headers" && rules.length > 0) {
      res.writeHead(404).end("not found");
      return;
    }
    let file = normalize(join(root, path.slice(mount.length)));
    if (!file.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, "index.html");
        info = await stat(file);
      }
      const data = await readFile(file);
      // As static hosts answer (Netlify, nginx): a validator, and the browser asked to check
      // it on every use, unless the site's _headers says otherwise for the file. A page that
      // comes back then has its files from its HTTP cache, and its compiled code from the
      // browser's code cache, as a reader's would.
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const headers = withHeaders({ "Cache-Control": "no-cache", ETag: etag, "Last-Modified": info.mtime.toUTCString(), ...extra }, headersFor(rules, sitePath));
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, {
        ...headers,
        "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
        "Content-Length": data.length,
      });
      res.end(data);
    } catch {
      // With the extra headers too: a page allowed to read the files reads their 404 as well.
      res.writeHead(404, extra).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return {
    url: `http://127.0.0.1:${address.port}${mount}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
