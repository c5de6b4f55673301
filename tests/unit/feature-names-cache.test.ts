import { describe, expect, it } from "vitest";
import { FeatureNegotiation } from "../../src/virtio/feature-negotiation.js";
import { VIRTIO_F_VERSION_1, featureNames } from "../../src/virtio/features.js";

const OWN_BIT = 5;
const offered = VIRTIO_F_VERSION_1 | (1n << BigInt(OWN_BIT));

describe("feature names kept for the inspector", () => {
  it("names a set the same way every time, the device's own bits included", () => {
    const features = new FeatureNegotiation(offered, [[OWN_BIT, "OWN_BIT"]]);
    const first = features.namesOf(offered);
    expect(first).toEqual(["OWN_BIT", "VERSION_1"]);
    expect(features.namesOf(offered)).toBe(first);
    expect(features.namesOf(1n << 7n)).toEqual(["bit 7"]);
  });

  it("stays right when a guest makes it name many different sets", () => {
    const features = new FeatureNegotiation(offered, [[OWN_BIT, "OWN_BIT"]]);
    for (let bit = 0n; bit < 64n; bit++) {
      expect(features.namesOf(1n << bit)).toEqual(featureNames(1n << bit, [[OWN_BIT, "OWN_BIT"]]));
    }
    expect(features.namesOf(offered)).toEqual(["OWN_BIT", "VERSION_1"]);
  });
});
