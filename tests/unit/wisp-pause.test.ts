import { describe, expect, it } from "vitest";
import { fakeWispDialer } from "../support/wisp-fake-transport.js";

const limits = { streamPauseBytes: 400_000, totalPauseBytes: 900_000, stallCheckMs: 1000, stallChecks: 3 };

describe("wisp: pausing a pausable transport for the guest", () => {
  it("pauses over the total mark too, and resumes only at half of it", () => {
    const { connect, last } = fakeWispDialer({ pausable: true, limits });
    const guests = [connect(), connect(), connect()];
    last().openV1();
    // Each guest takes 256 KiB and waits; 350 kB more each is under the stream mark but 1.05 MB in all.
    for (const id of [1, 2, 3]) last().packet({ kind: "data", streamId: id, data: new Uint8Array(256 * 1024 + 350_000) });
    expect(last().paused).toBe(true);
    guests[0]!.drain();
    expect(last().paused).toBe(true); // 700 kB left: above half the mark
    guests[1]!.drain();
    expect(last().paused).toBe(false);
  });

  it("resets a stream that reads nothing while the others wait for it, after stallChecks checks", () => {
    const { connect, last, runTimers, logs } = fakeWispDialer({ pausable: true, limits });
    const stuck = connect(80, "stuck.test");
    const fine = connect(80, "fine.test");
    last().openV1();
    last().packet({ kind: "data", streamId: 1, data: new Uint8Array(800_000) });
    expect(last().paused).toBe(true);
    runTimers();
    runTimers();
    expect(stuck.aborted).toBe(false);
    runTimers();
    expect(stuck.aborted).toBe(true);
    expect(last().take("close")).toEqual([{ kind: "close", streamId: 1, reason: 0x81 }]);
    expect(logs.join("\n")).toMatch(/stuck\.test:80: the guest read nothing for 3 s while the other streams waited for it; resetting it/);
    expect(last().paused).toBe(false);
    expect(fine.aborted).toBe(false);
  });

  it("a slow reader that keeps taking something is not reset", () => {
    const { connect, last, runTimers } = fakeWispDialer({ pausable: true, limits });
    const slow = connect();
    last().openV1();
    last().packet({ kind: "data", streamId: 1, data: new Uint8Array(2_000_000) });
    for (let i = 0; i < 10 && !slow.aborted; i++) {
      slow.ack(50_000); // under the low-water mark only now and then: progress, slowly
      if (slow.bufferedAmount < 128 * 1024) slow.ack();
      runTimers();
    }
    expect(slow.aborted).toBe(false);
    expect(last().pauseCalls).toBe(1);
  });

  it("stops checking once nothing is paused, and when the transport dies", () => {
    const { connect, last, runTimers } = fakeWispDialer({ pausable: true, limits });
    const guest = connect();
    last().openV1();
    last().packet({ kind: "data", streamId: 1, data: new Uint8Array(800_000) });
    last().drop();
    expect(guest.aborted).toBe(true);
    runTimers();
    runTimers();
    runTimers();
    expect(last().take("close")).toEqual([]);
  });
});
