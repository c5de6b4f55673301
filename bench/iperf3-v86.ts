// v86's own virtio-net on user-mode networking, for the iperf3 bench. The machine
// description cannot name v86's cards, so the far end is opened here the way a
// `virtio-net,net=user` card's is (node-network.ts: the host network with this process's
// sockets behind it, 10.0.2.2 standing for 127.0.0.1), and handed to v86's card, which
// takes any NetBackend (v86-extras.ts). Both cards thus cross the same code to the host.
import type { NetOptions } from "../src/description/machine-description.js";
import { cardAddressing } from "../src/machine/card-addressing.js";
import type { V86Extras } from "../src/machine/v86-emulator.js";
import type { V86NicType } from "../src/v86/v86-nic.js";
import type { HostNetwork } from "../src/backends/net/host/host-network.js";
import { nodeNetworkFor } from "../src/node/node-network.js";
import { v86Nic } from "./v86-extras.js";

export function userNetworkForV86(type: V86NicType): { extras: V86Extras; host: HostNetwork; close(): void } {
  const options: NetOptions = { backend: { kind: "user" }, policy: "shared", ip: "auto" };
  const addressing = cardAddressing(0, options);
  const opened: Array<{ close(): void }> = [];
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const choice = nodeNetworkFor(options, 0, addressing, opened, log);
  const tick = choice.tick ?? (() => {});
  return {
    // The kernel's ip= gives v86's card the address ours would get (10.0.2.15, router 10.0.2.2).
    extras: v86Nic(type, choice.backend, tick, addressing.guest === "dhcp" ? undefined : addressing.guest),
    host: choice.host,
    close: () => opened.forEach((o) => o.close()),
  };
}
