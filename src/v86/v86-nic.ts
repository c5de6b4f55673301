// v86's own network cards (ne2k, or its virtio-net) on one of our network backends, for
// the benchmarks that compare them with ringside's virtio-net on the same host network.
// v86's cards talk over its bus: "net0-send" carries each frame the guest transmits,
// "net0-receive" delivers one. They have no backpressure (a frame that finds no room is
// dropped by the card) and no offloads, so frames are handed over as soon as the backend
// has them, and the backend is told the guest takes plain 1514-byte frames only.
import type { V86 } from "v86";
import type { NetBackend } from "../backends/net/net-backend.js";

export type V86NicType = "ne2k" | "virtio";

interface V86Bus {
  send(name: string, data: Uint8Array): void;
}

function busOf(emulator: V86): V86Bus {
  const bus = (emulator as unknown as { bus?: V86Bus }).bus;
  if (!bus || typeof bus.send !== "function") throw new Error("v86 has no bus (emulator.bus.send): is this v86 0.5.x?");
  return bus;
}

/** The option value that makes v86 build its card (pass as V86Options.net_device). */
export function v86NicOption(type: V86NicType): { type: V86NicType } {
  return { type };
}

/** Connects v86's card number 0 to `backend`. Call after emulator-loaded. */
export function connectV86Nic(emulator: V86, backend: NetBackend): void {
  const bus = busOf(emulator);
  const listen = emulator.add_listener as unknown as (event: string, listener: (bytes: Uint8Array) => void) => void;
  listen.call(emulator, "net0-send", (bytes: Uint8Array) => backend.receiveFromGuest({ bytes: new Uint8Array(bytes) }));
  backend.setGuestCapabilities({ checksumOffload: false, tso4: false, maxFrameBytes: 1514 });
  backend.onGuestFramesReady(() => {
    for (let frame = backend.nextForGuest(); frame; frame = backend.nextForGuest()) bus.send("net0-receive", frame.bytes);
  });
}
