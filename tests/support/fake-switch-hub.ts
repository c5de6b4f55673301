// An in-memory BroadcastChannel for the tabs' switch (src/backends/net/broadcast-switch.ts,
// switch-addresses.ts): delivers synchronously to the other open members, structured-cloned
// as a real channel does (and to the sender too if `echo`), and keeps what each posted.
import type { SwitchChannel } from "../../src/backends/net/switch-channel.js";

export class FakeHub {
  echo = false;
  readonly members: FakeChannel[] = [];
  join(): FakeChannel {
    const c = new FakeChannel(this);
    this.members.push(c);
    return c;
  }
}

export class FakeChannel implements SwitchChannel {
  onmessage: ((event: MessageEvent) => void) | null = null;
  closed = false;
  readonly posted: unknown[] = [];
  constructor(private readonly hub: FakeHub) {}
  postMessage(message: unknown): void {
    this.posted.push(message);
    for (const m of this.hub.members) {
      if ((m !== this || this.hub.echo) && !m.closed) m.onmessage?.(new MessageEvent("message", { data: structuredClone(message) }));
    }
  }
  close(): void { this.closed = true; }
}
