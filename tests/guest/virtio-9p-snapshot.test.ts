// A machine saved while the guest is using its shared folder (a writer appending in the
// background, the shell standing in a folder of the share with a file held open) and taken
// up by a new machine whose share is a new 9P server over the same files, as a host
// directory would be after a restart: the session's fids come back by path, so the writer
// finishes, the open file reads on and the shell's folder is still its own.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import type { NinepService } from "../../src/devices/virtio-9p.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { readMachineState } from "../../src/machine/machine-state.js";
import { hostShare, lookupPath, putFile, sha256, sha256OfFile, shareMachine } from "../support/ninep-host.js";
import { waitUntil } from "../support/wait-until.js";

const T = 120_000;
const LINES = 300;

/**
 * The first machine's share: from the moment its session is saved, no request reaches the
 * files (each waits for good). The guest runs on while the state file is encoded and until
 * the machine is destroyed; the files must stay as they were at the save, as they would if
 * the machine had stopped there.
 */
function freezesAtSave(server: NinepServer): NinepService {
  let frozen = false;
  return {
    handle: (request, room) => (frozen ? new Promise<Uint8Array>(() => {}) : server.handle(request, room)),
    reset: () => server.reset(),
    saveState: () => {
      frozen = true;
      return server.saveState();
    },
    restoreState: (state) => server.restoreState(state),
  };
}


describe("virtio-9p in a saved machine", () => {
  const machines: NodeMachine[] = [];
  afterAll(async () => {
    for (const vm of machines) await vm.destroy();
  });

  it("a share in use when the machine is saved carries on in the restored machine", async () => {
    const share = hostShare("host");
    const held = randomBytes(200_000);
    putFile(share.fs, "held.bin", held);
    const { description, backends } = shareMachine([share]);
    const index = description.devices.findIndex((d) => d.type === "virtio-9p");
    backends.set(index, { share: freezesAtSave(share.server) });
    const first = await startNodeMachine({ description, backends });
    machines.push(first);
    await first.shell.waitUntilReady(T);
    // fd 3 holds held.bin open and has read its first 1000 bytes; the shell stands in sub/.
    const setup = await first.shell.run("mkdir /mnt/host/sub && cd /mnt/host/sub && exec 3</mnt/host/held.bin && dd bs=1000 count=1 <&3 2>/dev/null | wc -c", T);
    expect(setup.output).toBe("1000\n");
    const started = await first.shell.run(
      `(i=0; while [ $i -lt ${LINES} ]; do echo line-$i >> /mnt/host/log; i=$((i+1)); usleep 5000; done; echo done > /mnt/host/finished) </dev/null >/dev/null 2>&1 & echo started`,
      T,
    );
    expect(started.output).toBe("started\n");
    const logLines = () => {
      try {
        return lookupPath(share.fs, "log").size / "line-0\n".length;
      } catch {
        return 0;
      }
    };
    await waitUntil(() => logLines() >= 20, "the writer to be under way", T);
    const file = await first.machine.saveState();
    await first.destroy();
    machines.splice(machines.indexOf(first), 1);
    const linesAtSave = logLines();
    // Saved part of the way through.
    expect(linesAtSave).toBeLessThan(LINES);

    const snapshot = readMachineState(await decodeStateFile(file));
    const shareDevice = snapshot.header.machine.devices.findIndex((d) => d.type === "virtio-9p");
    expect(shareDevice).toBe(index);
    // The same files behind a new server: nothing of the old session survives but the state.
    const server = new NinepServer(share.fs, { log: (line) => console.warn(`9p host: ${line}`) });
    const second = await startNodeMachine({ restore: snapshot, backends: new Map([[shareDevice, { share: server }]]) });
    machines.push(second);
    second.shell.resumeReady();

    const done = await second.shell.run("wait; cat /mnt/host/finished; pwd; ls", T);
    expect(done.output).toBe("done\n/mnt/host/sub\n");
    const expected = Array.from({ length: LINES }, (_, i) => `line-${i}\n`).join("");
    expect(new TextDecoder().decode(share.fs.read(lookupPath(share.fs, "log").ino, 0, 1 << 20))).toBe(expected);
    expect(sha256OfFile(share.fs, "log")).toBe(sha256(new TextEncoder().encode(expected)));
    expect((await second.shell.run("sha256sum < /mnt/host/log", T)).output.slice(0, 64)).toBe(sha256(new TextEncoder().encode(expected)));
    // The file opened before the save reads on from where it was, through the restored fid.
    const rest = await second.shell.run("cat <&3 | sha256sum; exec 3<&-", T);
    expect(rest.output.slice(0, 64)).toBe(sha256(held.subarray(1000)));
    // New work in the folder the shell stood in.
    expect((await second.shell.run("echo after > here && cat /mnt/host/sub/here && cd /", T)).output).toBe("after\n");
    // The rest of the writing went through the new server.
    expect(server.stats().requests).toBeGreaterThan(LINES - linesAtSave);
  });
});
