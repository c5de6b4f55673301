// The CLI as a user runs it: `npm run vm -- ...` (here through tsx directly, the same
// command npm runs).
import { describe, expect, it } from "vitest";
import { runCli as vm } from "../support/cli-run.js";

describe("npm run vm", () => {
  it("prints only the commands' output, in order, and exits with the last status", async () => {
    const r = await vm(["--exec", "uname -a", "--exec", "grep -c ^processor /proc/cpuinfo", "--exec", "echo to-stderr >&2; exit_code() { return 3; }; exit_code"]);
    expect(r.stdout).toMatch(/^Linux ringside 6\.1\.\d+ .* i686 GNU\/Linux\n1\nto-stderr\n$/);
    expect(r.code).toBe(3);
  });

  it("exits 0 when the last command succeeds, whatever came before", async () => {
    const r = await vm(["--exec", "false", "--exec", "true"]);
    expect(r).toMatchObject({ code: 0, stdout: "" });
  });

  it("passes --mem and --cmdline to the machine", async () => {
    const r = await vm(["--mem", "160", "--cmdline", "console=ttyS0 loglevel=3 earlyprintk=serial from.cli=1", "--exec", "cat /proc/cmdline"]);
    // The machine adds ip= for the network card, unless the command line configures it.
    expect(r.stdout).toBe("console=ttyS0 loglevel=3 earlyprintk=serial from.cli=1 ip=10.0.2.15::10.0.2.2:255.255.255.0:ringside:eth0:off:10.0.2.2\n");
    expect(r.code).toBe(0);
    const bare = await vm(["--net", "none", "--cmdline", "console=ttyS0 from.cli=2", "--exec", "cat /proc/cmdline"]);
    expect(bare.stdout).toBe("console=ttyS0 from.cli=2\n");
  });

  it("gives the guest a file as /dev/vda with --disk, creating it with --disk-size", async () => {
    const { mkdtemp, rm, stat } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(`${tmpdir()}/ringside-cli-`);
    try {
      const disk = `${dir}/d.img`;
      const r = await vm(["--disk", disk, "--disk-size", "8", "--exec", "cat /sys/block/vda/size /sys/block/vda/ro"]);
      expect(r).toMatchObject({ code: 0, stdout: "16384\n0\n" });
      expect((await stat(disk)).size).toBe(8 * 1024 * 1024);
      const ro = await vm(["--disk", disk, "--disk-ro", "--exec", "cat /sys/block/vda/ro"]);
      expect(ro).toMatchObject({ code: 0, stdout: "1\n" });
      const missing = await vm(["--disk", `${dir}/nope.img`, "--exec", "true"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/nope.img does not exist \(give a size to create it\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("has a network card on the host network unless --net none", async () => {
    const on = await vm(["--exec", "wget -q -O - 'http://10.0.2.2/blob-sha256?bytes=1000&seed=4'", "--exec", "ls -1 /sys/class/net"]);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^[0-9a-f]{64}\neth0\nlo\n$/);
    const off = await vm(["--net", "none", "--exec", "ls -1 /sys/class/net"]);
    expect(off).toMatchObject({ code: 0, stdout: "lo\n" });
  });

  it("explains a bad option and exits 2 without booting", async () => {
    const r = await vm(["--mem", "32", "--exec", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mem must be a whole number of MiB from 128 to 2048, got "32"/);
    expect(r.stderr).toMatch(/usage: npm run vm/);
    expect(r.stdout).toBe("");
  });

  it("gives up with a clear message when the shell is not ready in time", async () => {
    const r = await vm(["--timeout", "0.5", "--exec", "true"]);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out after 0\.5 s waiting for a shell on the guest's terminal/);
    // The watchdog says how far the boot got instead of a bare failure.
    expect(r.stderr).toMatch(/the boot got as far as: \w+/);
    expect(r.stderr).toMatch(/a slow kernel may need a longer --timeout/);
  });

  it("--save writes the whole machine after the commands; --restore takes it up in a new process, download, files and disk included", async () => {
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { blobSha256 } = await import("../../src/backends/net/services/blob.js");
    const dir = await mkdtemp(`${tmpdir()}/ringside-cli-`);
    try {
      const state = `${dir}/m.state`;
      // The guest hashes the download itself (a few MiB/s under emulation): it is still
      // running when the machine is saved right after the commands.
      const saved = await vm([
        "--disk", `${dir}/a.img`, "--disk-size", "8",
        "--exec", "echo kept-in-ram > /tmp/x; echo on-disk | dd of=/dev/vda conv=fsync 2>/dev/null",
        "--exec", "(wget -q -O - 'http://10.0.2.2/blob?bytes=33554432&seed=4' | sha256sum > /tmp/s) </dev/null >/dev/null 2>&1 &",
        "--save", state,
      ]);
      expect(saved.code, saved.stderr).toBe(0);
      expect(saved.stderr).toMatch(/saved the machine to .*m\.state \(\d+\.\d MiB\)/);
      const noDisk = await vm(["--restore", state, "--exec", "true"]);
      expect(noDisk.code).toBe(2);
      expect(noDisk.stderr).toMatch(/was saved with a disk: give --disk PATH/);
      const restored = await vm([
        "--restore", state, "--disk", `${dir}/b.img`, "--disk-size", "8",
        "--exec", "cat /tmp/x", "--exec", "wait; cut -d' ' -f1 /tmp/s", "--exec", "echo 3 > /proc/sys/vm/drop_caches; head -c 8 /dev/vda",
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toBe(`kept-in-ram\n${blobSha256(33554432, 4)}\non-disk\n`);
      await writeFile(`${dir}/junk.state`, "not a state");
      const junk = await vm(["--restore", `${dir}/junk.state`, "--exec", "true"]);
      expect(junk.code).toBe(2);
      expect(junk.stderr).toMatch(/junk\.state: this is not a ringside state file/);
      const fixed = await vm(["--restore", state, "--mem", "512"]);
      expect(fixed.code).toBe(2);
      expect(fixed.stderr).toMatch(/--mem cannot be used with --restore: the state file decides/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("prints --help to stdout and exits 0", async () => {
    const r = await vm(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--exec CMD[\s\S]*--mem MiB[\s\S]*--cmdline STR[\s\S]*--timeout SEC/);
  });
});
