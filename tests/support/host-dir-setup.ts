// A 9P server over a host directory (HostDirFs) in a fresh temporary folder, with a session
// open as the guest's kernel would have it (Tversion, Tattach of fid 0 as uid 0), and a
// sibling folder outside the share holding a secret, which confinement tests check is never
// read or changed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { HostDirFs } from "../../src/node/host-dir-fs.js";
import { NinepClient } from "./ninep-client.js";
import { ok } from "./ninep-setup.js";

export const SECRET = "outside the share\n";

export interface HostMounted {
  /** The shared folder on the host. */
  share: string;
  /** A folder beside it, with `secret` in it. */
  outside: string;
  fs: HostDirFs;
  server: NinepServer;
  c: NinepClient;
  logs: string[];
  /** What the outside folder holds now: its names and the secret's text. */
  outsideState(): { names: string[]; secret: string };
  done(): void;
}

export function hostMounted(opts: { readOnly?: boolean; msize?: number } = {}): HostMounted {
  const base = mkdtempSync(join(tmpdir(), "ringside-hostdir-"));
  const share = join(base, "share");
  const outside = join(base, "outside");
  mkdirSync(share);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), SECRET);
  const fs = HostDirFs.open(share, { readOnly: opts.readOnly ?? false });
  const logs: string[] = [];
  const server = new NinepServer(fs, { readOnly: opts.readOnly ?? false, log: (m) => logs.push(m) });
  const c = new NinepClient(server);
  ok(c.version(opts.msize ?? 65536));
  ok(c.attach(0, 0));
  return {
    share, outside, fs, server, c, logs,
    outsideState: () => ({ names: readdirSync(outside).sort(), secret: readFileSync(join(outside, "secret"), "utf8") }),
    done: () => {
      server.reset();
      fs.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
