// ringside's virtio-9p under Linux's v9fs (9p2000.L, rc.boot's mount at /mnt/TAG): what a
// shared folder does in daily use, checked both from inside the guest and on the host's
// side, straight in the memory filesystem the server serves (tests/support/ninep-host.ts).
// One boot with two shares: "host" (read-write) and "ro" (read-only, holding a file the
// host put there). The device's live figures must move with the guest's operations.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { NinepStats } from "../../src/devices/virtio-9p.js";
import { existsPath, hostShare, lookupPath, putFile, sha256, sha256OfFile, shareMachine } from "../support/ninep-host.js";

const T = 120_000;
const MiB = 1024 * 1024;
const MNT = "/mnt/host";

describe("virtio-9p shared folders under Linux's v9fs", () => {
  const rw = hostShare("host", { maxBytes: 128 * MiB });
  const ro = hostShare("ro", { readOnly: true });
  const inRo = randomBytes(300 * 1024 + 7);
  let vm: NodeMachine;

  /** Runs a command that must succeed; returns its output. */
  async function sh(command: string, timeoutMs = T): Promise<string> {
    const { output, status } = await vm.shell.run(command, timeoutMs);
    if (status !== 0) throw new Error(`guest command failed (status ${status}): ${command}\n${output.slice(0, 2000)}`);
    return output;
  }

  function stats(tag: string): NinepStats {
    for (const d of vm.machine.deviceViews()) if (d.type === "virtio-9p" && d.stats.tag === tag) return d.stats;
    throw new Error(`no share tagged ${tag}`);
  }

  /** How many requests of each named type the share served while `body` ran. */
  async function counted<K extends string>(tag: string, types: readonly K[], body: () => Promise<void>): Promise<Record<K | "requests" | "errors", number>> {
    const before = stats(tag);
    await body();
    const after = stats(tag);
    const out = { requests: after.requests - before.requests, errors: after.errors - before.errors } as Record<K | "requests" | "errors", number>;
    for (const t of types) out[t] = (after.byType[t] ?? 0) - (before.byType[t] ?? 0);
    return out;
  }

  beforeAll(async () => {
    putFile(ro.fs, "given.bin", inRo);
    const { description, backends } = shareMachine([rw, ro]);
    vm = await startNodeMachine({ description, backends });
    await vm.shell.waitUntilReady(T);
  }, T);
  afterAll(async () => vm?.destroy());

  it("mounts both shares at boot, each by its tag, over virtio with 9p2000.L", async () => {
    const mounts = await sh("grep ' 9p ' /proc/mounts");
    expect(mounts).toMatch(/^host \/mnt\/host 9p .*trans=virtio/m);
    expect(mounts).toMatch(/^ro \/mnt\/ro 9p .*trans=virtio/m);
    const tags = (await sh("cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag")).split(/\0|\n/).filter(Boolean).sort();
    expect(tags).toEqual(["host", "ro"]);
    // The session was negotiated: one Tversion and one Tattach per share at least.
    for (const tag of ["host", "ro"]) {
      expect(stats(tag).byType.Tversion).toBeGreaterThanOrEqual(1);
      expect(stats(tag).byType.Tattach).toBeGreaterThanOrEqual(1);
    }
  });

  it("creates, writes, reads, renames and removes files and directories", async () => {
    const n = await counted("host", ["Tlcreate", "Twrite", "Tread", "Tmkdir", "Trenameat", "Tunlinkat"], async () => {
      await sh(`cd ${MNT} && echo hello > a.txt && echo world >> a.txt && mkdir -p d1/d2/d3 && echo deep > d1/d2/d3/f`);
      expect(await sh(`cat ${MNT}/a.txt`)).toBe("hello\nworld\n");
      await sh(`cd ${MNT} && mv a.txt b.txt && mv d1 dir1 && mv b.txt dir1/d2/`);
      expect(await sh(`cat ${MNT}/dir1/d2/b.txt ${MNT}/dir1/d2/d3/f`)).toBe("hello\nworld\ndeep\n");
      expect(await sh(`ls ${MNT} | grep -c '^d1$\\|^a.txt$' || true`)).toBe("0\n");
    });
    // The host sees the same tree, with the guest's bytes.
    expect(sha256OfFile(rw.fs, "dir1/d2/b.txt")).toBe(sha256(new TextEncoder().encode("hello\nworld\n")));
    expect(existsPath(rw.fs, "d1")).toBe(false);
    await sh(`cd ${MNT} && rm dir1/d2/b.txt dir1/d2/d3/f && rmdir dir1/d2/d3 dir1/d2 dir1`);
    expect(existsPath(rw.fs, "dir1")).toBe(false);
    // rmdir of a folder that is not empty fails and leaves it.
    const notEmpty = await vm.shell.run(`mkdir ${MNT}/full && touch ${MNT}/full/x && rmdir ${MNT}/full`, T);
    expect(notEmpty.status).not.toBe(0);
    expect(notEmpty.output).toMatch(/not empty/i);
    await sh(`rm -r ${MNT}/full`);
    expect(n.Tlcreate).toBeGreaterThanOrEqual(2);
    expect(n.Tmkdir).toBeGreaterThanOrEqual(3);
    expect(n.Trenameat).toBeGreaterThanOrEqual(3);
    expect(n.Twrite).toBeGreaterThanOrEqual(3);
    expect(n.Tread).toBeGreaterThanOrEqual(1);
  });

  it("lists a folder of 3,000 files: every name, once", async () => {
    await sh(`mkdir ${MNT}/big && cd ${MNT}/big && i=0; while [ $i -lt 3000 ]; do : > file-$i; i=$((i+1)); done; cd /`, T);
    const n = await counted("host", ["Treaddir"], async () => {
      const names = (await sh(`ls -1A ${MNT}/big`)).split("\n").filter((l) => l !== "" && l !== "." && l !== "..");
      expect(names.length).toBe(3000);
      expect(new Set(names)).toEqual(new Set(Array.from({ length: 3000 }, (_, i) => `file-${i}`)));
    });
    // Many Treaddir replies: the listing does not fit one (and ends with an empty one).
    expect(n.Treaddir).toBeGreaterThan(1);
    expect(lookupPath(rw.fs, "big").nlink).toBe(2);
    expect(rw.fs.readdir(lookupPath(rw.fs, "big").ino, 0, 5000).length).toBe(3000);
    await sh(`rm -r ${MNT}/big`);
    expect(existsPath(rw.fs, "big")).toBe(false);
  });

  it("reads back size, mode and times the guest set (truncate, chmod, touch -d)", async () => {
    const n = await counted("host", ["Tsetattr", "Tgetattr"], async () => {
      await sh(`cd ${MNT} && echo 0123456789 > s && truncate -s 100000 s && chmod 640 s && touch -d '2001-02-03 04:05:06' s`);
      expect(await sh(`stat -c '%s %a %Y %X' ${MNT}/s`)).toBe("100000 640 981173106 981173106\n");
      const attr = lookupPath(rw.fs, "s");
      expect([attr.size, attr.mode & 0o7777, attr.mtime.sec, attr.atime.sec]).toEqual([100000, 0o640, 981173106, 981173106]);
      // Shrinking keeps the start (and sets the times to now, as truncate(2) does).
      await sh(`truncate -s 4 ${MNT}/s`);
      expect(await sh(`cat ${MNT}/s`)).toBe("0123");
    });
    expect(lookupPath(rw.fs, "s").size).toBe(4);
    expect(lookupPath(rw.fs, "s").mtime.sec).toBeGreaterThan(981173106);
    expect(n.Tsetattr).toBeGreaterThanOrEqual(4);
    expect(n.Tgetattr).toBeGreaterThanOrEqual(1);
  });

  it("keeps symlinks and hard links inside the share", async () => {
    await sh(`cd ${MNT} && echo target-bytes > t && ln -s t sym && ln -s sub/nowhere dangling && ln t hard`);
    expect(await sh(`readlink ${MNT}/sym; cat ${MNT}/sym; stat -c %h ${MNT}/t`)).toBe("t\ntarget-bytes\n2\n");
    expect(rw.fs.readlink(lookupPath(rw.fs, "sym").ino)).toBe("t");
    expect(lookupPath(rw.fs, "hard").ino).toBe(lookupPath(rw.fs, "t").ino);
    // A write through one name shows through the other; unlinking one leaves the other.
    await sh(`echo more >> ${MNT}/hard && rm ${MNT}/t`);
    expect(await sh(`cat ${MNT}/hard; stat -c %h ${MNT}/hard`)).toBe("target-bytes\nmore\n1\n");
    const dangling = await vm.shell.run(`cat ${MNT}/dangling`, T);
    expect(dangling.status).not.toBe(0);
    expect(dangling.output).toMatch(/No such file/);
    await sh(`rm ${MNT}/sym ${MNT}/dangling ${MNT}/hard`);
  });

  it("syncs files (fsync) and reports the filesystem's size (statfs)", async () => {
    const n = await counted("host", ["Tfsync", "Tstatfs"], async () => {
      await sh(`dd if=/dev/zero of=${MNT}/synced bs=64k count=4 conv=fsync 2>/dev/null && sync`);
      const [blocks, size] = (await sh(`stat -f -c '%b %S' ${MNT}`)).trim().split(" ").map(Number);
      const st = rw.fs.statfs();
      expect(blocks).toBe(st.blocks);
      expect(size).toBe(st.bsize);
      expect(await sh(`df -k ${MNT} | tail -1`)).toMatch(/^host\s+131072\s/);
    });
    expect(n.Tfsync).toBeGreaterThanOrEqual(1);
    expect(n.Tstatfs).toBeGreaterThanOrEqual(2);
    expect(lookupPath(rw.fs, "synced").size).toBe(256 * 1024);
    await sh(`rm ${MNT}/synced`);
  });

  it("writes and reads a sparse file past 4 GiB", async () => {
    const offset = 5 * 1024 * MiB + 12345;
    const used = rw.fs.usage().bytes;
    await sh(`dd if=/dev/urandom of=/tmp/chunk bs=4096 count=1 2>/dev/null && dd if=/tmp/chunk of=${MNT}/sparse bs=4096 seek=${offset} oflag=seek_bytes 2>/dev/null`, T);
    expect(await sh(`stat -c %s ${MNT}/sparse`)).toBe(`${offset + 4096}\n`);
    const inGuest = (await sh(`sha256sum /tmp/chunk`)).slice(0, 64);
    expect(sha256OfFile(rw.fs, "sparse", offset, 4096)).toBe(inGuest);
    await sh("sync; echo 3 > /proc/sys/vm/drop_caches");
    expect((await sh(`dd if=${MNT}/sparse bs=4096 skip=${offset} iflag=skip_bytes count=1 2>/dev/null | sha256sum`)).slice(0, 64)).toBe(inGuest);
    // A hole reads as zeros, and costs the host (almost) nothing.
    expect(await sh(`dd if=${MNT}/sparse bs=4096 skip=1000000 count=1 2>/dev/null | tr -d '\\0' | wc -c`)).toBe("0\n");
    expect(rw.fs.usage().bytes - used).toBeLessThan(MiB);
    await sh(`rm ${MNT}/sparse /tmp/chunk`);
  });

  it("moves 8 MiB of random bytes out of the guest, and a host file in, intact (sha256 both sides)", async () => {
    await sh(`dd if=/dev/urandom of=${MNT}/rand bs=1M count=8 2>/dev/null`, T);
    const guestSum = (await sh(`sha256sum ${MNT}/rand`)).slice(0, 64);
    expect(lookupPath(rw.fs, "rand").size).toBe(8 * MiB);
    expect(sha256OfFile(rw.fs, "rand")).toBe(guestSum);
    const fromHost = randomBytes(3 * MiB + 1234);
    putFile(rw.fs, "from-host.bin", fromHost);
    // No cache (v9fs's default): the guest sees the new file at once.
    expect((await sh(`sha256sum ${MNT}/from-host.bin`)).slice(0, 64)).toBe(sha256(fromHost));
    await sh(`rm ${MNT}/rand ${MNT}/from-host.bin`);
  });

  it("refuses every write to the read-only share with EROFS, and still serves reads", async () => {
    expect((await sh("sha256sum /mnt/ro/given.bin")).slice(0, 64)).toBe(sha256(inRo));
    const n = await counted("ro", [], async () => {
      for (const cmd of ["echo x > /mnt/ro/new", "mkdir /mnt/ro/d", "rm /mnt/ro/given.bin", "echo x >> /mnt/ro/given.bin", "mv /mnt/ro/given.bin /mnt/ro/moved", "chmod 600 /mnt/ro/given.bin", "ln -s a /mnt/ro/l"]) {
        const r = await vm.shell.run(cmd, T);
        expect(r.status, cmd).not.toBe(0);
        expect(r.output, cmd).toMatch(/Read-only file system/);
      }
    });
    expect(n.errors).toBeGreaterThanOrEqual(7);
    expect(ro.fs.readdir(ro.fs.root, 0, 10).map((e) => e.name)).toEqual(["given.bin"]);
    expect(sha256OfFile(ro.fs, "given.bin")).toBe(sha256(inRo));
  });

  it("counts requests and errors as the guest makes them", async () => {
    const n = await counted("host", ["Twalk"], async () => {
      const missing = await vm.shell.run(`cat ${MNT}/no-such-file`, T);
      expect(missing.status).not.toBe(0);
    });
    expect(n.requests).toBeGreaterThanOrEqual(1);
    expect(n.errors).toBeGreaterThanOrEqual(1);
    expect(n.Twalk).toBeGreaterThanOrEqual(1);
    const s = stats("host");
    expect(Object.values(s.byType).reduce((a, b) => a + b, 0)).toBe(s.requests);
    expect(s.bytesIn).toBeGreaterThan(s.requests * 7);
    expect(s.bytesOut).toBeGreaterThan(8 * MiB);
    expect(s.inFlight).toBe(false);
    // The other share's figures are its own.
    expect(stats("ro").requests).toBeLessThan(s.requests);
  });

  it("serves the share again after the guest unmounts and mounts it", async () => {
    await sh(`echo kept > ${MNT}/kept`);
    const n = await counted("host", ["Tversion", "Tattach", "Tclunk"], async () => {
      // The session's shell may stand in the share (cd carries over): leave it first.
      await sh(`cd / && umount ${MNT}`);
      expect(await sh(`grep -c ' ${MNT} ' /proc/mounts || true`)).toBe("0\n");
      await sh(`mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 host ${MNT}`);
    });
    expect(n.Tversion).toBe(1);
    expect(n.Tattach).toBe(1);
    expect(n.Tclunk).toBeGreaterThanOrEqual(1);
    expect(await sh(`cat ${MNT}/kept`)).toBe("kept\n");
    await sh(`echo again > ${MNT}/again && rm ${MNT}/kept`);
    expect(sha256OfFile(rw.fs, "again")).toBe(sha256(new TextEncoder().encode("again\n")));
  });
});
