// A new tab on the BroadcastChannel switch asks which guest addresses are taken and picks
// a MAC whose address is free (src/backends/net/switch-addresses.ts): running switches
// answer with their guest's address, the question's own channel is closed after, and
// answers meant for another asker or not of the switch's form are ignored.
import { describe, expect, it } from "vitest";
import { BroadcastSwitch, guestIpForMac } from "../../src/backends/net/broadcast-switch.js";
import { addressesInUse, macWithFreeAddress } from "../../src/backends/net/switch-addresses.js";
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../../src/backends/net/net-backend.js";

import { FakeHub as Hub } from "../support/fake-switch-hub.js";

class Quiet implements NetBackend {
  receiveFromGuest(_frame: NetFrame): void {}
  nextForGuest(): NetFrame | undefined { return undefined; }
  onGuestFramesReady(_listener: () => void): void {}
  setGuestCapabilities(_caps: GuestNetCapabilities | undefined): void {}
  guestReset(): void {}
}

describe("which switch addresses are taken", () => {
  it("running switches answer with their guests' addresses; the asker's channel is closed after", async () => {
    const hub = new Hub();
    const a = new BroadcastSwitch({ guestMac: "02:00:00:00:00:0a", local: new Quiet(), channel: hub.join(), guestIp: "10.0.2.40" });
    const b = new BroadcastSwitch({ guestMac: "02:00:00:00:00:0b", local: new Quiet(), channel: hub.join(), guestIp: "10.0.2.41" });
    // A switch that was not told its address (a test's, say) stays silent.
    new BroadcastSwitch({ guestMac: "02:00:00:00:00:0c", local: new Quiet(), channel: hub.join() });
    const asking = hub.join();
    const taken = await addressesInUse(asking, 5);
    expect([...taken].sort()).toEqual(["10.0.2.40", "10.0.2.41"]);
    expect(asking.closed).toBe(true);
    // A question is not a malformed frame.
    expect(a.counters.malformed + b.counters.malformed).toBe(0);
  });

  it("ignores answers meant for another asker, and ones that are not a switch address", async () => {
    const hub = new Hub();
    const liar = hub.join();
    liar.onmessage = (event) => {
      const q = event.data as { from: string };
      liar.postMessage({ kind: "ringside-here/1", to: "someone-else", ip: "10.0.2.50" });
      liar.postMessage({ kind: "ringside-here/1", to: q.from, ip: "192.168.1.1" });
      liar.postMessage({ kind: "ringside-here/1", to: q.from, ip: "10.0.2.999" });
      liar.postMessage({ kind: "ringside-here/1", to: q.from, ip: 42 });
      liar.postMessage({ kind: "ringside-here/1", to: q.from, ip: "10.0.2.77" });
    };
    expect([...(await addressesInUse(hub.join(), 5))]).toEqual(["10.0.2.77"]);
  });

  it("with nobody there, nothing is taken", async () => {
    expect((await addressesInUse(new Hub().join(), 5)).size).toBe(0);
  });
});

describe("a MAC whose address is free", () => {
  /** Random bytes from a fixed sequence: the same MACs in the same order every time. */
  const seeded = () => {
    let n = 1;
    return (into: Uint8Array) => {
      for (let i = 0; i < into.length; i++) into[i] = (n = (n * 1103515245 + 12345) >>> 0) >>> 24;
    };
  };

  it("skips MACs whose address a running tab holds", () => {
    const first = macWithFreeAddress(new Set(), guestIpForMac, seeded());
    const taken = new Set([guestIpForMac(first)]);
    const picked = macWithFreeAddress(taken, guestIpForMac, seeded());
    expect(picked).not.toBe(first);
    expect(taken.has(guestIpForMac(picked))).toBe(false);
    // Locally administered and unicast, as every guest MAC here.
    expect(parseInt(picked.slice(0, 2), 16) & 0x03).toBe(0x02);
  });

  it("gives up after a bounded number of tries when every address is taken", () => {
    const all = new Set(Array.from({ length: 256 }, (_, i) => `10.0.2.${i}`));
    let tries = 0;
    const counting = (into: Uint8Array) => {
      tries++;
      crypto.getRandomValues(into);
    };
    expect(macWithFreeAddress(all, guestIpForMac, counting)).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(tries).toBe(64);
  });
});
