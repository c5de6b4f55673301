// A packed queue as the inspector's worker API carries it: positions and wrap counters,
// both event suppression areas decoded, buffer IDs and wrap marks per slot, the notification
// mode in words, and a stopped ring drawn free.
import { describe, expect, it } from "vitest";
import { eventSuppressionView, packedNotificationMode, packedQueueView } from "../../src/inspect/packed-queue-view.js";
import { HandPackedRing } from "../support/hand-packed-ring.js";

const listed = { index: 1, name: "transmitq1", size: 6, enabled: true };

describe("packedQueueView", () => {
  it("decodes event suppression: flags by name, off_wrap as slot and wrap bit", () => {
    expect(eventSuppressionView({ offWrap: 0x8005, flags: 2 })).toEqual({ flags: 2, flagsName: "DESC", offWrap: 0x8005, slot: 5, wrap: true });
    expect(eventSuppressionView({ offWrap: 3, flags: 0 })).toMatchObject({ flagsName: "ENABLE", slot: 3, wrap: false });
    expect(eventSuppressionView({ offWrap: 0, flags: 1 }).flagsName).toBe("DISABLE");
    expect(eventSuppressionView({ offWrap: 0, flags: 3 }).flagsName).toBe("reserved (3)");
  });

  it("carries the device's positions, the slots' owners, IDs and wrap marks", () => {
    const r = new HandPackedRing(6);
    r.setDriverEvent(2);
    r.add([{ len: 4 }]);
    r.add([{ len: 4 }, { len: 8, write: true }]);
    r.add([{ len: 4 }]);
    r.take();
    r.take();
    r.use(0);
    const v = packedQueueView(listed, r.view(), true);
    expect(v.layout).toBe("packed");
    expect(v.slots).toBe("uhHaff");
    expect(v.packed).toMatchObject({
      nextAvail: 3, availWrap: true, nextUsed: 1, usedWrap: true, takenSlots: 2, ids: [0, 1, 1, 2, 0, 0], wrapMarks: "022100",
      driverEvent: { flagsName: "DESC", slot: 0, wrap: true },
      deviceEvent: { flagsName: "ENABLE" },
    });
    expect([v.lastAvailIdx, v.usedIdx, v.availIdx, v.inFlight]).toEqual([3, 1, 4, 1]);
    expect([v.descAddr, v.availAddr, v.usedAddr]).toEqual([r.descAddr, r.driverEventAddr, r.deviceEventAddr]);
    expect(v.notificationMode).toBe("kicks on, interrupt at slot 0 wrap 1");
  });

  it("draws a stopped ring free, without wrap marks, keeping its numbers", () => {
    const r = new HandPackedRing(6);
    r.add([{ len: 4 }]);
    r.take();
    const v = packedQueueView(listed, r.view(), false);
    expect(v.slots).toBe("ffffff");
    expect(v.packed?.wrapMarks).toBe("");
    expect(v.packed?.nextAvail).toBe(1);
    expect(v.notificationMode).toBe("not live");
  });

  it("says how kicks and interrupts are set", () => {
    const r = new HandPackedRing(4);
    const mode = (device?: "polling") => packedNotificationMode(r.view(), true, device);
    r.memory.write16(r.deviceEventAddr + 2, 1);
    r.setDriverEvent(1);
    expect(mode()).toBe("kicks off, interrupts off");
    expect(mode("polling")).toBe("kicks off: device polls, interrupts off");
    r.memory.write16(r.deviceEventAddr, 0x8002);
    r.memory.write16(r.deviceEventAddr + 2, 2);
    r.setDriverEvent(0);
    expect(mode()).toBe("kicks at slot 2 wrap 1");
  });
});
