// The part of BroadcastChannel the tabs' switch uses (broadcast-switch.ts for frames,
// switch-addresses.ts for the question of which addresses are taken); a real
// BroadcastChannel satisfies it, and tests give an in-memory one.

export interface SwitchChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}
