// Host folders shared with the guest through the CLI (`--share DIR[,readonly]`): Linux's
// v9fs over virtio-9p over HostDirFs, on the real kernel. Bytes cross both ways unchanged,
// symlinks are the guest's to resolve (inside the guest), a symlink the host placed to a
// folder outside the share shows nothing of that folder, and a read-only share says so.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "../support/cli-run.js";

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
/** A name and a text only the host's outside folder holds: neither may appear in the guest's output. */
const MARKER = "host-only-marker-7f3a";
const SECRET = "secret of the host";

let base: string;
let share: string;
let readOnlyShare: string;
let outside: string;
let run: CliRun;
let hostToGuest: Buffer;
/** Each command's output, by the label it printed first. */
const said = new Map<string, string>();

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "ringside-9p-guest-"));
  share = join(base, "share");
  readOnlyShare = join(base, "ro");
  outside = join(base, "outside");
  for (const d of [share, readOnlyShare, outside]) mkdirSync(d);
  hostToGuest = randomBytes(8 * MiB);
  writeFileSync(join(share, "from-host.bin"), hostToGuest);
  writeFileSync(join(outside, MARKER), `${SECRET}\n`);
  symlinkSync(outside, join(share, "out-abs"));
  symlinkSync("../outside", join(share, "out-rel"));
  writeFileSync(join(readOnlyShare, "kept.txt"), "as the host left it\n");
  const step = (label: string, command: string) => ["--exec", `echo "== ${label}"; ${command} 2>&1; true`];
  run = await runCli([
    "--net", "none", "--share", share, "--share", `${readOnlyShare},readonly`,
    ...step("host-sha", "sha256sum /mnt/host/from-host.bin"),
    ...step("guest-sha", "dd if=/dev/urandom of=/mnt/host/from-guest.bin bs=1M count=8 2>/dev/null && sync && sha256sum /mnt/host/from-guest.bin"),
    ...step("root-link", "ln -s / /mnt/host/root && cat /mnt/host/root/etc/hostname && echo same-as && cat /etc/hostname"),
    ...step("outside-abs", "ls -la /mnt/host/out-abs/; cat /mnt/host/out-abs/*"),
    ...step("outside-rel", "ls -la /mnt/host/out-rel/; cat /mnt/host/out-rel/*"),
    ...step("dotdot", "ls -la /mnt/host/../; cat /mnt/host/../outside/*; ls -la /mnt/host/"),
    ...step("ro-touch", "touch /mnt/host2/new.txt; echo x >> /mnt/host2/kept.txt; rm /mnt/host2/kept.txt; cat /mnt/host2/kept.txt"),
  ]);
  for (const part of run.stdout.split(/^== /m).slice(1)) {
    const eol = part.indexOf("\n");
    said.set(part.slice(0, eol), part.slice(eol + 1));
  }
}, 240_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("virtio-9p over a host folder (--share)", () => {
  it("boots with both shares and runs every command", () => {
    expect(run.stderr).not.toMatch(/cannot|Error/);
    expect([...said.keys()]).toEqual(["host-sha", "guest-sha", "root-link", "outside-abs", "outside-rel", "dotdot", "ro-touch"]);
  });

  it("reads 8 MiB the host wrote with the same sha256", () => {
    expect(said.get("host-sha")).toBe(`${sha256(hostToGuest)}  /mnt/host/from-host.bin\n`);
  });

  it("writes 8 MiB that arrive on the host with the same sha256", () => {
    const onHost = readFileSync(join(share, "from-guest.bin"));
    expect(onHost.length).toBe(8 * MiB);
    expect(said.get("guest-sha")).toBe(`${sha256(onHost)}  /mnt/host/from-guest.bin\n`);
  });

  it("resolves a guest's symlink to / in the guest's own root; the host keeps it as text", () => {
    const [viaLink, own] = said.get("root-link")!.split("same-as\n");
    expect(viaLink).toBe(own);
    expect(viaLink).not.toBe("");
    expect(readlinkSync(join(share, "root"))).toBe("/");
  });

  it("shows nothing of a host folder outside the share that a host symlink names", () => {
    for (const label of ["outside-abs", "outside-rel", "dotdot"]) {
      expect(said.get(label)).not.toContain(MARKER);
      expect(said.get(label)).not.toContain(SECRET);
    }
    // The share's own listing shows the host's symlinks as symlinks, with their text.
    expect(said.get("dotdot")).toMatch(/out-rel -> \.\.\/outside/);
    expect(said.get("outside-abs")).toMatch(/No such file or directory/);
    expect(readdirSync(outside)).toEqual([MARKER]);
  });

  it("refuses writes to a read-only share with 'Read-only file system' and leaves its files", () => {
    const out = said.get("ro-touch")!;
    expect(out).toMatch(/touch: .*new\.txt: Read-only file system/);
    expect(out).toMatch(/rm: .*kept\.txt.*: Read-only file system/);
    expect(out).toContain("as the host left it\n");
    expect(readdirSync(readOnlyShare)).toEqual(["kept.txt"]);
    expect(readFileSync(join(readOnlyShare, "kept.txt"), "utf8")).toBe("as the host left it\n");
  });
});
