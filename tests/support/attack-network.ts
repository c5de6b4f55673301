// The attack suite's network cases (tests/guest/attack.test.ts calls this inside its
// describe, on its one booted machine): the tool floods the host network with SYNs from
// a made-up address, holds 1,024 idle connections, opens 1,000 clients that never read,
// and sends an RST inside a connection's window; then the card is reset under live
// connections. Afterwards the machine runs, a new connection works, the other devices
// work, and the test process's memory stayed within its bound. The SYN flood runs last:
// half-open connections a host failed to shed would otherwise spoil the cases after it.
import { expect, it } from "vitest";
import { expectMemoryBounded, MemoryWatch } from "./attack-memory.js";
import type { AttackRig } from "./attack-rig.js";
import { numberOf } from "./attack-tool.js";

/** Waits (at most `timeoutMs`) until the host holds no connection from the guest to any of `ports`. */
async function hostDrained(rig: AttackRig, ports: number[], timeoutMs: number): Promise<number> {
  const count = () => ports.reduce((n, p) => n + rig.hostConnections(p).length, 0);
  for (const until = performance.now() + timeoutMs; count() > 0 && performance.now() < until;) await new Promise((r) => setTimeout(r, 250));
  return count();
}

/** What every network case checks at its end. */
async function expectNetworkAftermath(rig: AttackRig): Promise<void> {
  await rig.expectMachineRuns();
  await rig.expectStillRunning("net");
  await rig.expectWorks("net");
  await rig.expectOthersWork("net");
}

export function networkAttackTests(getRig: () => AttackRig, timeoutMs: number): void {
  it("idle-conns: 1,024 idle connections held open; a new connection still works, during and after", async () => {
    const rig = getRig();
    const watch = new MemoryWatch();
    await rig.attackInBackground("idle-conns 1024 15", 150, "/tmp/idle.out");
    const held = await rig.waitForResult("/tmp/idle.out", "holding_seconds", 120_000);
    expect(numberOf(held, "established")).toBe(1024);
    expect(rig.hostConnections(7).length).toBe(1024);
    expect.soft(await rig.downloadWorks(), "a new connection while 1,024 idle ones are held").toBe(true);
    const done = await rig.waitForResult("/tmp/idle.out", "result", 120_000);
    console.log(`idle-conns: ${done.get("alive")} of 1024 still echoed after the wait`);
    expectMemoryBounded(watch, "idle-conns");
    expect(await hostDrained(rig, [7], 20_000), "connections left on the host after the tool exited").toBe(0);
    await expectNetworkAftermath(rig);
  }, timeoutMs);

  it("no-read: 500 clients of a 1 GiB download and 500 of chargen that never read cost the host bounded memory", async () => {
    const rig = getRig();
    const watch = new MemoryWatch();
    await rig.attackInBackground("no-read 1000 15", 150, "/tmp/noread.out");
    const held = await rig.waitForResult("/tmp/noread.out", "holding_seconds", 120_000);
    expect(numberOf(held, "established_http")).toBe(500);
    expect(numberOf(held, "requests_sent")).toBe(500);
    expect(numberOf(held, "established_chargen")).toBe(500);
    const done = await rig.waitForResult("/tmp/noread.out", "result", 120_000);
    expect(done.get("result")).toBe("done");
    expectMemoryBounded(watch, "no-read");
    expect(await hostDrained(rig, [80, 19], 30_000), "connections left on the host after the tool exited").toBe(0);
    await expectNetworkAftermath(rig);
  }, timeoutMs);

  it("rst-inwindow: an RST inside the window but not at RCV.NXT gets a challenge ACK and the connection lives on", async () => {
    const rig = getRig();
    const watch = new MemoryWatch();
    const run = await rig.attack("rst-inwindow --port 7 --offset 1000", 60);
    expect(run.status, run.output).toBe(0);
    const r = run.results;
    expect(numberOf(r, "established")).toBe(1);
    expect(numberOf(r, "echo_before")).toBe(1);
    expect(numberOf(r, "challenge_ack"), run.output).toBe(1);
    expect(numberOf(r, "resets_from_router")).toBe(0);
    expect(numberOf(r, "alive"), run.output).toBe(1);
    expectMemoryBounded(watch, "rst-inwindow");
    await expectNetworkAftermath(rig);
  }, timeoutMs);

  it("a reset of the network card (driver re-bound) leaves the host no connections from before it", async () => {
    const rig = getRig();
    const watch = new MemoryWatch();
    await rig.attackInBackground("idle-conns 16 60", 90, "/tmp/reset.out");
    expect(numberOf(await rig.waitForResult("/tmp/reset.out", "holding_seconds", 60_000), "established")).toBe(16);
    const before = rig.hostConnections(7);
    expect(before.length).toBe(16);
    await rig.driverReset("net");
    expect(rig.hostConnections(7).filter((peer) => before.includes(peer)), "connections that survived the reset").toEqual([]);
    await rig.guest.sh("kill $(pidof attack) 2>/dev/null; true");
    expectMemoryBounded(watch, "card reset under connections");
    await expectNetworkAftermath(rig);
  }, timeoutMs);

  it("syn-flood: 3,000 SYNs from random ports, never completed, and a new connection works at once", async () => {
    const rig = getRig();
    const watch = new MemoryWatch();
    const run = await rig.attack("syn-flood --count 3000 --port 80", 120);
    expect(run.status, run.output).toBe(0);
    expect(numberOf(run.results, "sent")).toBe(3000);
    expect(await rig.downloadWorks(), "a new connection right after the flood").toBe(true);
    expectMemoryBounded(watch, "syn-flood");
    await expectNetworkAftermath(rig);
  }, timeoutMs);
}
