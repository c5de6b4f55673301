// The notification policy: the same traffic under "shared" and "per-queue", counted in
// guest kicks, with a driver that kicks only when the ring asks (like Linux).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VIRTIO_NET_F_MRG_RXBUF, type NotificationPolicy } from "../../src/devices/virtio-net.js";
import { VRING_USED_F_NO_NOTIFY } from "../../src/virtio/split-queue.js";
import { etherFrame, frameSeq, netSetup, type RxFrame } from "../support/net-driver.js";

const RX_BUFFER = 1536;
const ROUNDS = 256;
const RX_PER_ROUND = 8;
const TX_PER_ROUND = 4;

type Env = ReturnType<typeof netSetup>;

/**
 * A bulk exchange: each round (about one poll tick of guest time) the backend streams 8
 * frames to the guest while the guest sends 4 (ACK-sized), handles its interrupt like
 * NAPI (reclaim tx, receive, refill rx), and the machine fires the poll tick.
 */
function exchange(env: Env) {
  const { net, backend, poll } = env;
  const got: RxFrame[] = [];
  let pushed = 0;
  let sent = 0;
  const napi = () => {
    net.interrupted = false;
    net.reapTx();
    got.push(...net.reapRx());
    net.refill(RX_BUFFER);
  };
  net.postRx(256, RX_BUFFER);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < RX_PER_ROUND; i++) backend.push({ bytes: etherFrame(pushed++, 1514) });
    for (let i = 0; i < TX_PER_ROUND; i++) {
      net.reapTx(); // start_xmit frees old buffers first
      net.send(etherFrame(sent++, 66));
    }
    if (net.interrupted) napi();
    poll.tick();
  }
  for (let i = 0; i < 16 && (got.length < pushed || backend.received.length < sent); i++) {
    napi();
    poll.tick();
  }
  expect(got.map((g) => frameSeq(g.bytes))).toEqual(Array.from({ length: pushed }, (_, i) => i));
  expect(backend.received.map((f) => frameSeq(f.bytes))).toEqual(Array.from({ length: sent }, (_, i) => i));
  const kicks = env.kicks().reduce((a, b) => a + b, 0);
  return { kicks, frames: pushed + sent, interrupts: env.interrupts.length };
}

/** Ticks until the shared policy goes back to waiting for kicks (bounded). */
function tickUntilIdle(env: Env, limit = 32): void {
  for (let i = 0; i < limit && env.device.stats().mode === "polling"; i++) env.poll.tick();
}

describe.each([true, false])("notification policy (EVENT_IDX %s)", (eventIdx) => {
  it("shared: a bulk exchange needs fewer than one kick per 64 frames; per-queue kicks far more", () => {
    const shared = exchange(netSetup({ policy: "shared", eventIdx, memoryBytes: 16 << 20 }));
    const perQueue = exchange(netSetup({ policy: "per-queue", eventIdx, memoryBytes: 16 << 20 }));
    expect(shared.kicks * 64).toBeLessThan(shared.frames);
    expect(perQueue.kicks).toBeGreaterThan(ROUNDS * TX_PER_ROUND); // at least a kick per tx frame
    expect(perQueue.kicks).toBeGreaterThan(20 * Math.max(1, shared.kicks));
  });

  it("shared: going idle re-enables kicks, and a tx buffer posted as they come back on is still sent", () => {
    const env = netSetup({ policy: "shared", eventIdx, memoryBytes: 16 << 20 });
    exchange(env);
    expect(env.device.stats().mode).toBe("polling");
    const tx = env.net.tx;
    const kicksBefore = env.kicks();
    // Just before the device turns tx notifications back on (avail_event moves with
    // EVENT_IDX, NO_NOTIFY clears without), the guest publishes one more frame. It reads
    // the ring as "don't kick", so only the device's re-check can find that frame.
    const enableWrite = (addr: number, value: number) =>
      eventIdx ? addr === tx.usedAddr + 4 + 8 * tx.size : addr === tx.usedAddr && value === 0;
    let kickedLate: boolean | undefined;
    env.memory.beforeWrite16 = (addr, value) => {
      if (kickedLate !== undefined || !enableWrite(addr, value)) return;
      kickedLate = env.net.send(etherFrame(999_999, 66));
    };
    tickUntilIdle(env);
    expect(kickedLate).toBe(false);
    expect(frameSeq(env.backend.received.at(-1)!.bytes)).toBe(999_999);
    // That frame was work, so the pair polled again; with nothing more it settles for good.
    tickUntilIdle(env);
    const snap = env.device.stats();
    expect(snap.mode).toBe("notified");
    expect(snap.toNotified).toBeGreaterThanOrEqual(2);
    expect(env.poll.subscribers).toBe(0);
    expect(env.model.queue(1)!.view().notificationsEnabled).toBe(true);
    if (!eventIdx) expect(tx.usedFlags & VRING_USED_F_NO_NOTIFY).toBe(0);
    expect(env.kicks()).toEqual(kicksBefore);
    // Idle and notified: the next frame kicks and goes straight out.
    expect(env.net.send(etherFrame(1_000_000, 66))).toBe(true);
    expect(frameSeq(env.backend.received.at(-1)!.bytes)).toBe(1_000_000);
  });

  it("shared: rx buffers posted as rx kicks come back on are still filled", () => {
    const env = netSetup({ policy: "shared", eventIdx });
    const rx = env.net.rx;
    env.net.postRx(8, RX_BUFFER);
    expect(env.model.queue(0)!.view().notificationsEnabled).toBe(false);
    // 20 frames for 8 buffers: the pass that runs dry turns rx kicks on, and just before it
    // does, the guest refills. It reads the ring as "don't kick"; the re-check must see it.
    const enableWrite = (addr: number, value: number) =>
      eventIdx ? addr === rx.usedAddr + 4 + 8 * rx.size : addr === rx.usedAddr && value === 0;
    let kickedLate: boolean | undefined;
    env.memory.beforeWrite16 = (addr, value) => {
      if (kickedLate !== undefined || !enableWrite(addr, value)) return;
      kickedLate = env.net.postRx(8, RX_BUFFER);
    };
    env.backend.push(...Array.from({ length: 20 }, (_, i) => ({ bytes: etherFrame(i, 300) })));
    expect(kickedLate).toBe(false);
    expect(env.net.reapRx().map((g) => frameSeq(g.bytes))).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(env.model.queue(0)!.view().notificationsEnabled).toBe(true); // 4 still wait
  });

  it("shared: transmit completions alone wait up to two ticks for an interrupt to share, then get their own", () => {
    const env = netSetup({ policy: "shared", eventIdx, memoryBytes: 16 << 20 });
    env.net.postRx(64, RX_BUFFER);
    // An upload: the guest sends, nothing comes back yet.
    env.net.send(etherFrame(0, 1514));
    env.poll.tick();
    env.net.send(etherFrame(1, 1514));
    env.poll.tick();
    expect(env.backend.received.length).toBe(2);
    // The guest's tx NAPI: reclaim, and ask for the next completion interrupt.
    env.net.interrupted = false;
    env.net.reapTx();
    const before = env.interrupts.length;
    env.net.send(etherFrame(2, 1514));
    env.poll.tick();
    expect(env.interrupts.length).toBe(before); // held back
    env.poll.tick();
    env.poll.tick();
    expect(env.interrupts.length).toBeGreaterThan(before); // two ticks later: their own
    // With receive work in the same pass, both go out together at once.
    env.net.interrupted = false;
    env.net.reapTx();
    const quiet = env.interrupts.length;
    env.net.send(etherFrame(3, 1514));
    env.backend.push({ bytes: etherFrame(100, 1514) });
    expect(env.interrupts.length).toBeGreaterThan(quiet);
  });

  it("shared: asks for rx kicks only while frames wait for buffers", () => {
    const env = netSetup({ policy: "shared", eventIdx });
    const rxNotifications = () => env.model.queue(0)!.view().notificationsEnabled;
    // Until it has looked, the device cannot know whether frames came before it started.
    expect(rxNotifications()).toBe(true);
    expect(env.net.postRx(4, RX_BUFFER)).toBe(true);
    expect(rxNotifications()).toBe(false); // nothing waits: refills need not wake it
    expect(env.net.postRx(4, RX_BUFFER)).toBe(false);
    env.backend.push(...Array.from({ length: 12 }, (_, i) => ({ bytes: etherFrame(i, 300) })));
    tickUntilIdle(env);
    expect(env.net.reapRx()).toHaveLength(8);
    expect(env.device.stats().rx.stalls).toBeGreaterThan(0);
    expect(rxNotifications()).toBe(true); // frames wait: the refill must wake the device
    expect(env.net.postRx(8, RX_BUFFER)).toBe(true);
    expect(env.net.reapRx().map((g) => frameSeq(g.bytes))).toEqual([8, 9, 10, 11]);
    tickUntilIdle(env);
    expect(rxNotifications()).toBe(false);
  });
});

describe("both policies move every frame exactly once, in order", () => {
  type Op =
    | { kind: "tx"; len: number }
    | { kind: "rx"; count: number }
    | { kind: "push"; count: number; len: number }
    | { kind: "tick" }
    | { kind: "reap" };
  const len = fc.integer({ min: 18, max: 1514 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("tx" as const), len }),
    fc.record({ kind: fc.constant("rx" as const), count: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("push" as const), count: fc.integer({ min: 1, max: 6 }), len }),
    fc.constant({ kind: "tick" as const }),
    fc.constant({ kind: "reap" as const }),
  );
  const policy = fc.constantFrom<NotificationPolicy>("shared", "per-queue");

  it("under random interleavings of posts, kicks, ticks and backend frames", () => {
    fc.assert(fc.property(policy, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 60 }),
      (policy, mergeable, eventIdx, idleTicks, ops) => {
        const env = netSetup({ policy, eventIdx, idleTicks, queueSize: 16, without: mergeable ? 0n : VIRTIO_NET_F_MRG_RXBUF });
        const { net, backend, poll } = env;
        const buffer = mergeable ? 512 : 12 + 1514;
        const pushed: Uint8Array[] = [];
        const sent: Uint8Array[] = [];
        const got: RxFrame[] = [];
        const reap = () => {
          got.push(...net.reapRx());
          net.reapTx();
        };
        for (const o of ops) {
          if (o.kind === "tx") {
            if (net.txRoom === 0) net.reapTx();
            if (net.txRoom === 0) continue;
            sent.push(etherFrame(sent.length, o.len));
            net.send(sent.at(-1)!);
          } else if (o.kind === "rx") {
            net.postRx(o.count, buffer);
          } else if (o.kind === "push") {
            const frames = Array.from({ length: o.count }, (_, i) => etherFrame(pushed.length + i, o.len));
            pushed.push(...frames);
            backend.push(...frames.map((bytes) => ({ bytes })));
          } else if (o.kind === "tick") {
            poll.tick();
          } else {
            reap();
          }
        }
        // The guest keeps its ring full and the machine keeps ticking until all is through.
        for (let i = 0; i < 64 && (got.length < pushed.length || backend.received.length < sent.length); i++) {
          reap();
          net.postRx(16, buffer);
          poll.tick();
        }
        reap();
        expect(env.model.view().lastError).toBeUndefined();
        expect(backend.received.map((f) => f.bytes)).toEqual(sent);
        expect(got.map((g) => g.bytes)).toEqual(pushed);
        const snap = env.device.stats();
        expect(Object.values(snap.rx.dropped).every((n) => n === 0)).toBe(true);
        expect(Object.values(snap.tx.dropped).every((n) => n === 0)).toBe(true);
      }), { numRuns: 200 });
  });
});
