// When the guest's network device is reset (its driver resets it, it fails, or the machine
// reboots and every PCI function is reset), the backend forgets the guest's side: the host
// network drops every connection without a word, its queued frames and the guest MAC it
// learned. A device that never ran (as in a snapshot restore, which resets the device model
// after the network was restored) leaves the backend alone.
import { describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { createStandardServices, HTTP_PORT } from "../../src/backends/net/services/standard-services.js";
import { VirtioNet } from "../../src/devices/virtio-net.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { FakeNetBackend } from "../support/fake-net-backend.js";
import { netSetup } from "../support/net-driver.js";
import { ACK, BROADCAST_MAC, drain, FIN, GUEST_MAC, PSH, RST, SYN, TcpPeer, tcpFrame } from "../support/tcp-peer.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An ARP request from the guest for the router (its reply waits in the router's queue). */
function arpRequest(): Uint8Array {
  const arp = new Uint8Array(42);
  arp.set(BROADCAST_MAC, 0);
  arp.set(GUEST_MAC, 6);
  arp.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  arp.set(GUEST_MAC, 22);
  arp.set([10, 0, 2, 15], 28);
  arp.set([10, 0, 2, 2], 38);
  return arp;
}

function network(guestMac?: string): { net: HostNetwork; deferred: (() => void)[] } {
  const deferred: (() => void)[] = [];
  const services = createStandardServices({ http: { defer: (fn) => deferred.push(fn), hashSliceBytes: 64 * 1024 } });
  const net = createHostNetwork({ services, initialSequence: () => 9000, ...(guestMac === undefined ? {} : { guestMac }) });
  net.tick(1);
  return { net, deferred };
}

describe("HostNetwork.guestReset", () => {
  it("drops every connection silently, the queued frames and the learned MAC; a fresh driver starts from nothing", () => {
    const { net, deferred } = network();
    net.setGuestCapabilities({ checksumOffload: true, tso4: true, maxFrameBytes: 65550 });
    // A download in the middle, with data unacknowledged and more buffered.
    const download = new TcpPeer(net, { port: HTTP_PORT, localPort: 40_000, mss: 1460, wscale: 7, window: 256 * 1024 });
    download.connect();
    download.send(PSH | ACK, ascii("GET /blob?bytes=10000000&seed=1 HTTP/1.1\r\n\r\n"));
    download.receive();
    // A digest being computed in slices, a half-open connection, and an ARP reply waiting.
    const digest = new TcpPeer(net, { port: HTTP_PORT, localPort: 40_001, mss: 1460 });
    digest.connect();
    digest.send(PSH | ACK, ascii("GET /blob-sha256?bytes=10000000&seed=2 HTTP/1.1\r\n\r\n"));
    net.receiveFromGuest(tcpFrame({ srcPort: 40_002, dstPort: HTTP_PORT, seq: 1, ack: 0, flags: SYN, window: 1000, mss: 1460 }));
    net.receiveFromGuest({ bytes: arpRequest() });
    const before = net.stats();
    expect(before.connections).toHaveLength(3);
    expect(before.sendBufferedBytes).toBeGreaterThan(0);
    expect(before.guestMac).toBe("52:54:00:12:34:56");
    expect(before.queuedFrames).toBeGreaterThan(0);
    expect(deferred.length).toBeGreaterThan(0);

    net.guestReset();
    expect(net.nextForGuest()).toBeUndefined(); // nothing at all for the new driver: no RST, no reply
    const after = net.stats();
    expect(after.connections).toEqual([]);
    expect(after.halfOpenConnections).toBe(0);
    expect(after.sendBufferedBytes).toBe(0);
    expect(after.queuedFrames).toBe(0);
    expect(after.guestMac).toBeUndefined();
    expect(after.capabilities).toBeUndefined();
    expect(after.guestResets).toBe(1);
    expect(after.tcp.resetsSent).toBe(before.tcp.resetsSent);
    expect(after.tcp.connectionsClosed).toBe(before.tcp.connectionsClosed + 2); // both services heard onClose
    // The hash was cancelled with its connection: its slices end without an answer.
    while (deferred.length > 0) deferred.shift()!();
    expect(drain(net)).toEqual([]);
    expect(net.saveState().tcp.connections).toEqual([]);

    // The old connection's state is gone: its next segment gets a RST.
    download.ack();
    expect(download.receive().map((s) => s.flags & RST)).toEqual([RST]);
    // The same guest port opens a new connection and it works from scratch.
    const again = new TcpPeer(net, { port: HTTP_PORT, localPort: 40_000, iss: 777_000, mss: 1460, wscale: 7, window: 1 << 20 });
    again.connect();
    again.send(PSH | ACK, ascii("GET /blob?bytes=20000&seed=3 HTTP/1.1\r\n\r\n"));
    for (let t = 2; t < 1000 && !again.finReceived; t++) {
      if (again.receive().some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) again.ack();
      net.tick(t);
    }
    const reply = Buffer.from(again.received());
    const expected = new Uint8Array(20_000);
    fillBlob(3, 0, expected);
    expect(Buffer.compare(reply.subarray(reply.indexOf("\r\n\r\n") + 4), expected)).toBe(0);
    expect(net.stats().guestMac).toBe("52:54:00:12:34:56"); // learned again from the new driver's frames
  });

  it("keeps a guest MAC the network was configured with", () => {
    const { net } = network("02:00:00:00:00:42");
    net.guestReset();
    expect(net.stats().guestMac).toBe("02:00:00:00:00:42");
  });
});

describe("virtio-net resets its backend", () => {
  it("when the driver resets the device, once", () => {
    const env = netSetup();
    expect(env.backend.guestResets).toBe(0);
    env.model.status = 0;
    expect(env.backend.guestResets).toBe(1);
    env.model.status = 0; // a second reset finds no driver running: nothing more to drop
    expect(env.backend.guestResets).toBe(1);
  });

  it("when the machine resets it (a reboot resets every PCI function), dropping frames queued for the old driver", () => {
    const env = netSetup();
    env.backend.push({ bytes: new Uint8Array(60) });
    env.model.reset();
    expect(env.backend.guestResets).toBe(1);
    expect(env.backend.waiting).toBe(0);
  });

  it("not when a device that never ran is reset, as a snapshot restore does before taking up the saved state", () => {
    const backend = new FakeNetBackend();
    const device = new VirtioNet({ backend, poll: new ManualPollSource() });
    device.reset();
    expect(backend.guestResets).toBe(0);
    expect(backend.capabilities).toBeUndefined();
  });
});
