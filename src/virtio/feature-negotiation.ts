// Feature negotiation (virtio 1.2, 2.2 and 3.1.1) as the driver sees it through any
// transport: the device's features and the driver's, each read or written 32 bits at a
// time through a select register (virtio-pci's device_feature_select / driver_feature_select,
// virtio-mmio's DeviceFeaturesSel / DriverFeaturesSel), and the check at FEATURES_OK.
import { VIRTIO_F_VERSION_1, featureNames } from "./features.js";

/** Feature windows beyond 128 bits hold nothing (the spec defines none). */
export const FEATURE_WINDOWS = 4;

/** What the driver's feature state was, for a saved state. */
export interface FeatureRegisters {
  driverFeatures: bigint;
  negotiated: bigint | undefined;
  deviceFeatureSelect: number;
  driverFeatureSelect: number;
}

/** Sets of feature bits whose names are kept (offered, negotiated, and a spare). */
const NAMES_CACHE_ENTRIES = 4;

export class FeatureNegotiation {
  private driver = 0n;
  private agreed: bigint | undefined;
  private deviceSel = 0;
  private driverSel = 0;
  private readonly namesCache = new Map<bigint, string[]>();

  /** `offered`: every feature the device offers, generic ones included; `names`: the device's bit names. */
  constructor(readonly offered: bigint, private readonly names: ReadonlyArray<readonly [number, string]>) {}

  get deviceSelect(): number { return this.deviceSel; }
  set deviceSelect(value: number) { this.deviceSel = value >>> 0; }
  get driverSelect(): number { return this.driverSel; }
  set driverSelect(value: number) { this.driverSel = value >>> 0; }

  /** The selected 32 bits of the device's features. */
  get deviceWindow(): number {
    return window32(this.offered, this.deviceSel);
  }

  /** The selected 32 bits of what the driver accepted. */
  get driverWindow(): number {
    return window32(this.driver, this.driverSel);
  }

  /**
   * The driver writes the selected 32 bits of what it accepts. Returns why the write was
   * dropped (a window that holds no features), or undefined.
   */
  writeDriverWindow(value: number): string | undefined {
    const sel = this.driverSel;
    if (sel >= FEATURE_WINDOWS) return value !== 0 ? `driver accepted features in window ${sel}, which holds none; ignored` : undefined;
    const shift = BigInt(32 * sel);
    this.driver = (this.driver & ~(0xffffffffn << shift)) | (BigInt(value >>> 0) << shift);
    return undefined;
  }

  /** FEATURES_OK: agrees on the driver's features, or says why not (3.1.1: the driver re-reads the status). */
  agree(): string | undefined {
    const extra = this.driver & ~this.offered;
    if (extra !== 0n) return `driver accepted features never offered: ${featureNames(extra, this.names).join(", ")}`;
    if (!(this.driver & VIRTIO_F_VERSION_1)) return "driver did not accept VERSION_1 (legacy drivers are not supported)";
    this.agreed = this.driver;
    return undefined;
  }

  /** The features agreed at FEATURES_OK, or undefined before that. */
  get negotiated(): bigint | undefined {
    return this.agreed;
  }

  get driverFeatures(): bigint {
    return this.driver;
  }

  /**
   * Names of `bits`, with this device's names for its own bits. The inspector asks for the
   * same few sets (offered, negotiated) on every update, so the lists are kept: building
   * them walks every bit with BigInt arithmetic. Callers must not change the list.
   */
  namesOf(bits: bigint): string[] {
    let names = this.namesCache.get(bits);
    if (names === undefined) {
      // A guest could write a new driver-features value on every access: keep the cache small.
      if (this.namesCache.size >= NAMES_CACHE_ENTRIES) this.namesCache.clear();
      names = featureNames(bits, this.names);
      this.namesCache.set(bits, names);
    }
    return names;
  }

  reset(): void {
    this.driver = 0n;
    this.agreed = undefined;
    this.deviceSel = 0;
    this.driverSel = 0;
  }

  save(): FeatureRegisters {
    return { driverFeatures: this.driver, negotiated: this.agreed, deviceFeatureSelect: this.deviceSel, driverFeatureSelect: this.driverSel };
  }

  restore(saved: FeatureRegisters): void {
    this.driver = saved.driverFeatures;
    this.agreed = saved.negotiated;
    this.deviceSel = saved.deviceFeatureSelect >>> 0;
    this.driverSel = saved.driverFeatureSelect >>> 0;
  }
}

/** 32-bit window `sel` of a feature set. */
function window32(features: bigint, sel: number): number {
  if (sel >= FEATURE_WINDOWS) return 0;
  return Number((features >> BigInt(32 * sel)) & 0xffffffffn);
}
