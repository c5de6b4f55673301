// Device-model plumbing for unit tests: an interrupt that records what the model raised
// (and how often a reset withdrew it), and the machine's tick, fired by hand.
import type { DeviceInterrupt, InterruptKind, RaiseOutcome } from "../../src/virtio/interrupt.js";
import type { DeviceModelOptions } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";

export class RecordingInterrupt implements DeviceInterrupt {
  withdrawals = 0;

  /** `raised` receives every kind raised; `onRaise` runs after each. */
  constructor(readonly raised: InterruptKind[] = [], private readonly onRaise?: (kind: InterruptKind) => void) {}

  raise(kind: InterruptKind): RaiseOutcome {
    this.raised.push(kind);
    this.onRaise?.(kind);
    return "sent";
  }

  withdraw(): void {
    this.withdrawals++;
  }
}

/** Options for a model in a unit test: a recording interrupt, a hand-fired tick, logs dropped unless given. */
export function testModelOptions(extra: Partial<DeviceModelOptions> = {}): DeviceModelOptions & { ticks: ManualPollSource } {
  return { interrupt: new RecordingInterrupt(), log: () => {}, ...extra, ticks: (extra.ticks as ManualPollSource | undefined) ?? new ManualPollSource() };
}
