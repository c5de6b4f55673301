// The page's words for a packed ring: event suppression fields and a slot's hover title
// (owner, buffer ID, its flags against the wrap counter the device expects there, the
// device's positions), from a queue view built over a hand-played ring.
import { describe, expect, it } from "vitest";
import { packedQueueView } from "../../src/inspect/packed-queue-view.js";
import { eventWords } from "../../src/page/inspector-packed-fields.js";
import { packedSlotTitle } from "../../src/page/inspector-ring-packed.js";
import { HandPackedRing } from "../support/hand-packed-ring.js";

describe("a packed ring in the page's words", () => {
  it("names event suppression flags, with DESC's slot and wrap bit", () => {
    expect(eventWords({ flags: 2, flagsName: "DESC", offWrap: 0x8011, slot: 17, wrap: true })).toBe("DESC: slot 17, wrap 1");
    expect(eventWords({ flags: 1, flagsName: "DISABLE", offWrap: 0x8011, slot: 17, wrap: true })).toBe("DISABLE");
  });

  it("titles a slot with its owner, buffer ID, flags and the device's positions", () => {
    const r = new HandPackedRing(4);
    r.add([{ len: 4 }, { len: 4, write: true }]);
    r.add([{ len: 4 }]);
    r.take();
    const q = packedQueueView({ index: 0, name: "requestq", size: 4, enabled: true }, r.view(), true);
    expect(q.slots).toBe("hHaf");
    expect(packedSlotTitle(q, 0)).toBe(
      "slot 0: taken by the device, in flight · buffer ID 0 · AVAIL 1 USED 0, the device expects wrap 0 here · device's next used (wrap 1) " +
        "(click for its descriptor chain)",
    );
    expect(packedSlotTitle(q, 1)).toMatch(/^slot 1: taken by the device, in flight · part of the buffer before it \(ID field 0\)/);
    expect(packedSlotTitle(q, 2)).toMatch(/^slot 2: available to the device · buffer ID 1 · AVAIL 1 USED 0, the device expects wrap 1 here · device's next avail \(wrap 1\)/);
    expect(packedSlotTitle(q, 9)).toBe("");
  });
});
