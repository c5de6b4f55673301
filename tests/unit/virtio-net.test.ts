import { describe, expect, it } from "vitest";
import {
  VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, VIRTIO_NET_CTRL_MAC_TABLE_SET, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI,
  VIRTIO_NET_CTRL_RX_PROMISC, VIRTIO_NET_ERR, VIRTIO_NET_OK,
} from "../../src/devices/net-control.js";
import {
  VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
} from "../../src/devices/net-header.js";
import {
  NET_CONFIG, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_MTU, VIRTIO_NET_F_STATUS,
  VIRTIO_NET_S_LINK_UP, VirtioNet,
} from "../../src/devices/virtio-net.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import {
  STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1,
} from "../../src/virtio/features.js";
import { FakeNetBackend } from "../support/fake-net-backend.js";
import { etherFrame, frameSeq, netSetup, onesSum, tcpFrame } from "../support/net-driver.js";

const ALL_NET = VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MTU | VIRTIO_NET_F_MAC | VIRTIO_NET_F_GUEST_TSO4 |
  VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_MRG_RXBUF | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_CTRL_RX |
  VIRTIO_NET_F_CTRL_MAC_ADDR;
const TSO = { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType: VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16, hdrLen: 54 };

/** The TCP/IPv4 pseudo-header sum a NEEDS_CSUM frame must carry in its checksum field. */
function pseudoSum(frame: Uint8Array): number {
  const tcpLength = ((frame[16]! << 8) | frame[17]!) - 20;
  return onesSum(frame.subarray(26, 34), 6 + tcpLength);
}

/** Lets the shared policy's poll ticks pick up tx buffers posted while kicks were off. */
const settle = (env: ReturnType<typeof netSetup>) => {
  for (let i = 0; i < 8; i++) env.poll.tick();
};

const readConfigBytes = (env: ReturnType<typeof netSetup>, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => env.model.readConfig(from + i, 1));

describe("virtio-net features and config", () => {
  it("offers the net features plus VERSION_1, EVENT_IDX and INDIRECT_DESC", () => {
    const env = netSetup();
    expect(env.offered).toBe(ALL_NET | VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX | VIRTIO_F_RING_INDIRECT_DESC);
    expect(env.device.queueMaxSizes).toEqual([256, 256, 256]);
  });

  it("reads mac, link status, one queue pair and the MTU; ignores writes", () => {
    const env = netSetup();
    expect(readConfigBytes(env, NET_CONFIG.mac, 6)).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(env.model.readConfig(NET_CONFIG.status, 2)).toBe(VIRTIO_NET_S_LINK_UP);
    expect(env.model.readConfig(NET_CONFIG.maxVirtqueuePairs, 2)).toBe(1);
    expect(env.model.readConfig(NET_CONFIG.mtu, 2)).toBe(1500);
    env.model.writeConfig(0, 4, 0xdeadbeef);
    expect(readConfigBytes(env, 0, 4)).toEqual([0x52, 0x54, 0x00, 0x12]);
    expect(env.logs.some((l) => /virtio-net: ignored 4-byte write of 0xdeadbeef to read-only config at offset 0/.test(l))).toBe(true);
  });

  it("takes mac, MTU and queue size from its options and refuses bad ones", () => {
    const backend = new FakeNetBackend();
    const poll = new ManualPollSource();
    const device = new VirtioNet({ backend, poll, mac: "02:aa:bb:cc:dd:0e", mtu: 9000, queueSize: 64 });
    expect([0, 1, 2, 3, 4, 5].map((i) => device.readConfig(i, 1))).toEqual([2, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e]);
    expect(device.readConfig(NET_CONFIG.mtu, 2)).toBe(9000);
    expect(device.queueMaxSizes).toEqual([64, 64, 64]);
    expect(() => new VirtioNet({ backend, poll, mac: "02:aa:bb" })).toThrow(RangeError);
    expect(() => new VirtioNet({ backend, poll, mtu: 67 })).toThrow(RangeError);
    expect(() => new VirtioNet({ backend, poll, queueSize: 100 })).toThrow(RangeError);
  });

  it("tells the backend what the driver accepts, and forgets it on reset", () => {
    const env = netSetup();
    expect(env.backend.capabilities).toEqual({ checksumOffload: true, tso4: true, maxFrameBytes: 65550 });
    env.model.status = 0;
    expect(env.backend.capabilities).toBeUndefined();
    const plain = netSetup({ without: VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_GUEST_CSUM });
    expect(plain.backend.capabilities).toEqual({ checksumOffload: false, tso4: false, maxFrameBytes: 1514 });
    // GUEST_TSO4 without the GUEST_CSUM it requires is not used.
    expect(netSetup({ without: VIRTIO_NET_F_GUEST_CSUM }).backend.capabilities?.tso4).toBe(false);
  });
});

describe("virtio-net transmit", () => {
  it.each(["inline", "separate"] as const)("hands a frame with the header %s to the backend with its offload metadata", (layout) => {
    const env = netSetup();
    const frame = tcpFrame(4000);
    env.net.send(frame, { header: TSO, layout });
    const plain = etherFrame(7, 60);
    env.net.send(plain, { layout });
    settle(env);
    expect(env.backend.received).toEqual([
      { bytes: frame, offload: { partialChecksum: { start: 34, offset: 16 }, tcpSegmentSize: 1448 } },
      { bytes: plain },
    ]);
    const used = env.net.tx.takeUsed();
    expect(used.map((u) => u.len)).toEqual([0, 0]);
    expect(env.device.stats().tx).toMatchObject({ frames: 2, bytes: frame.length + 60 });
  });

  it("reads a header split across descriptors and a frame over many", () => {
    const env = netSetup();
    const frame = etherFrame(3, 1500);
    env.net.send(frame, { header: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 6 }, cuts: [5, 12, 13, 600, 1000] });
    expect(env.backend.received).toEqual([{ bytes: frame, offload: { partialChecksum: { start: 34, offset: 6 } } }]);
  });

  it("drops frames with offloads it cannot honour, counts them by reason, and carries on", () => {
    const env = netSetup();
    const f = tcpFrame(3000);
    env.net.send(f, { header: { ...TSO, gsoType: VIRTIO_NET_HDR_GSO_UDP } });
    env.net.send(f, { header: { ...TSO, gsoType: VIRTIO_NET_HDR_GSO_TCPV6 } });
    env.net.send(f, { header: { ...TSO, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN } });
    env.net.send(f, { header: { ...TSO, flags: 0 } });
    env.net.send(f, { header: { ...TSO, gsoSize: 0 } });
    env.net.send(etherFrame(1, 100), { header: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 90, csumOffset: 16 } });
    env.net.send(f); // 3054 bytes without GSO: more than MTU 1500 allows
    env.net.send(new Uint8Array(10));
    env.net.send(etherFrame(2, 64));
    settle(env);
    expect(env.backend.received.map((r) => frameSeq(r.bytes))).toEqual([2]);
    expect(env.device.stats().tx.dropped).toEqual({
      runt: 1, oversize: 1, notNegotiated: 0, gsoUnsupported: 3, badGso: 2, badChecksumOffsets: 1, backendError: 0,
    });
    expect(env.net.tx.takeUsed()).toHaveLength(9);
    expect(env.logs.some((l) => l.includes("tx frame dropped: GSO type UDP (UFO) is not offered"))).toBe(true);
    expect(env.model.view().lastError).toBeUndefined();
  });

  it("drops offloads the driver did not negotiate", () => {
    const env = netSetup({ without: VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 });
    env.net.send(tcpFrame(3000), { header: TSO });
    env.net.send(etherFrame(1, 100), { header: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 16 } });
    settle(env);
    expect(env.backend.received).toHaveLength(0);
    expect(env.device.stats().tx.dropped.notNegotiated).toBe(2);
  });
});

describe("virtio-net receive", () => {
  it("writes DATA_VALID for checksum-valid frames only when GUEST_CSUM was negotiated", () => {
    for (const [without, flags] of [[0n, VIRTIO_NET_HDR_F_DATA_VALID], [VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4, 0]] as const) {
      const env = netSetup({ without });
      env.net.postRx(4, 1536);
      const frame = etherFrame(1, 600);
      env.backend.push({ bytes: frame, offload: { checksumValid: true } }, { bytes: etherFrame(2, 70) });
      const got = env.net.reapRx();
      expect(got.map((g) => g.header)).toEqual([
        { flags, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 1 },
        { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 1 },
      ]);
      expect(got[0]!.bytes).toEqual(frame);
      expect(got[0]!.lengths).toEqual([612]);
    }
  });

  it("gives TSO frames GSO fields, NEEDS_CSUM and the pseudo-header sum", () => {
    const env = netSetup();
    env.net.postRx(16, 1536);
    const frame = tcpFrame(5000, { tcpOptions: 12 });
    env.backend.push({ bytes: frame, offload: { tcpSegmentSize: 1448, checksumValid: true } });
    const [got] = env.net.reapRx();
    expect(got!.header).toEqual({
      flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType: VIRTIO_NET_HDR_GSO_TCPV4, hdrLen: 66, gsoSize: 1448, csumStart: 34, csumOffset: 16,
      numBuffers: 4,
    });
    const expected = frame.slice();
    const sum = pseudoSum(frame);
    expected[50] = sum >> 8;
    expected[51] = sum & 0xff;
    expect(got!.bytes).toEqual(expected);
    expect(frame[50]).toBe(0); // the backend's frame is left alone
  });

  it("sends no GSO to a driver without GUEST_TSO4: large ones are dropped, small ones go plain", () => {
    const env = netSetup({ without: VIRTIO_NET_F_GUEST_TSO4 });
    env.net.postRx(16, 1536);
    const small = tcpFrame(1000);
    env.backend.push({ bytes: tcpFrame(3000), offload: { tcpSegmentSize: 1448 } }, { bytes: small, offload: { tcpSegmentSize: 1448 } });
    const got = env.net.reapRx();
    expect(got).toHaveLength(1);
    expect(got[0]!.header.gsoType).toBe(0);
    expect(got[0]!.bytes).toEqual(small);
    expect(env.device.stats().rx.dropped.oversize).toBe(1);
  });

  it("spreads a 64 KiB frame over mergeable buffers with num_buffers, filling all but the last", () => {
    const env = netSetup();
    env.net.postRx(64, 1536);
    const frame = tcpFrame(65536 - 54);
    const sum = pseudoSum(frame);
    frame[50] = sum >> 8; // already what NEEDS_CSUM asks for, so the bytes must come back unchanged
    frame[51] = sum & 0xff;
    env.backend.push({ bytes: frame, offload: { tcpSegmentSize: 1448, checksumValid: true } });
    const [got] = env.net.reapRx();
    const buffers = Math.ceil((65536 + 12) / 1536);
    expect(got!.header.numBuffers).toBe(buffers);
    expect(got!.lengths).toEqual([...new Array<number>(buffers - 1).fill(1536), 65548 - (buffers - 1) * 1536]);
    expect(got!.bytes.length).toBe(65536);
    expect(got!.bytes).toEqual(frame);
  });

  it("without MRG_RXBUF puts a frame in one buffer, dropping one that cannot fit", () => {
    const env = netSetup({ without: VIRTIO_NET_F_MRG_RXBUF });
    env.net.postRx(1, 1000);
    env.backend.push({ bytes: etherFrame(1, 1400) }, { bytes: etherFrame(2, 900) });
    const got = env.net.reapRx();
    expect(got.map((g) => [frameSeq(g.bytes), g.header.numBuffers, g.lengths])).toEqual([[2, 1, [912]]]);
    expect(env.device.stats().rx.dropped.noRoom).toBe(1);
  });

  describe.each(["shared", "per-queue"] as const)("with the %s policy", (policy) => {
    it("keeps frames in the backend while rx is empty and delivers them all after refills", () => {
      const env = netSetup({ policy });
      env.backend.push(...Array.from({ length: 10 }, (_, i) => ({ bytes: etherFrame(i, 200) })));
      expect(env.backend.waiting).toBe(10);
      expect(env.net.postRx(4, 1536)).toBe(true); // the device asked for a kick on refill
      const got = env.net.reapRx();
      env.net.postRx(20, 1536);
      settle(env);
      got.push(...env.net.reapRx());
      expect(got.map((g) => frameSeq(g.bytes))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(env.backend.waiting).toBe(0);
    });

    it("holds a frame that needs more buffers than are posted until the guest posts them", () => {
      const env = netSetup({ policy });
      env.net.postRx(10, 1536);
      const frame = tcpFrame(30000);
      env.backend.push({ bytes: frame, offload: { tcpSegmentSize: 1448 } }, { bytes: etherFrame(5, 100) });
      expect(env.net.reapRx()).toHaveLength(0);
      expect(env.device.stats().rx).toMatchObject({ waitingInDevice: 1, heldBuffers: 10 });
      env.net.postRx(30, 1536);
      settle(env);
      const got = env.net.reapRx();
      expect(got.map((g) => g.bytes.length)).toEqual([frame.length, 100]);
      expect(got[0]!.header.numBuffers).toBe(20);
      expect(env.device.stats().rx.waitingInDevice).toBe(0);
    });
  });

  it("survives a backend that answers from inside receiveFromGuest", () => {
    const env = netSetup();
    env.backend.onReceive = (f) => env.backend.push({ bytes: etherFrame(frameSeq(f.bytes) + 100, 80) });
    env.net.postRx(8, 1536);
    for (let i = 0; i < 3; i++) env.net.send(etherFrame(i, 80));
    settle(env);
    expect(env.net.reapRx().map((g) => frameSeq(g.bytes))).toEqual([100, 101, 102]);
    expect(env.model.view().lastError).toBeUndefined();
  });
});

describe("virtio-net control queue", () => {
  it("answers rx mode and MAC commands OK and records them; the rest ERR", () => {
    const env = netSetup();
    const mac = Uint8Array.of(2, 0, 0, 0xaa, 0xbb, 0xcc);
    const le32 = (n: number) => Uint8Array.of(n, 0, 0, 0);
    expect(env.net.command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)])).toBe(VIRTIO_NET_OK);
    expect(env.net.command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, [Uint8Array.of(1)])).toBe(VIRTIO_NET_OK);
    const table = [new Uint8Array([...le32(1), ...mac]), new Uint8Array([...le32(2), ...mac, ...mac])];
    expect(env.net.command(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table)).toBe(VIRTIO_NET_OK);
    expect(env.net.command(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, [mac])).toBe(VIRTIO_NET_OK);
    expect(readConfigBytes(env, NET_CONFIG.mac, 6)).toEqual([...mac]);
    expect(env.device.stats().control).toMatchObject({
      commands: 4, errors: 0, promisc: true, allmulti: true, unicastFilter: 1, multicastFilter: 2, macSet: "02:00:00:aa:bb:cc",
    });
    expect(env.net.command(2, 0, [Uint8Array.of(1, 0)])).toBe(VIRTIO_NET_ERR); // VLAN: not offered
    expect(env.net.command(VIRTIO_NET_CTRL_RX, 2, [Uint8Array.of(1)])).toBe(VIRTIO_NET_ERR); // ALLUNI needs CTRL_RX_EXTRA
    expect(env.net.command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1, 1)])).toBe(VIRTIO_NET_ERR);
    expect(env.net.command(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, [le32(5)])).toBe(VIRTIO_NET_ERR);
    expect(env.device.stats().control.errors).toBe(4);
    expect(env.model.view().lastError).toBeUndefined();
    // A reset brings back the configured MAC.
    env.model.status = 0;
    expect(readConfigBytes(env, NET_CONFIG.mac, 6)).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  });

  it("refuses rx mode commands when CTRL_RX was not negotiated", () => {
    const env = netSetup({ without: VIRTIO_NET_F_CTRL_RX });
    expect(env.net.command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)])).toBe(VIRTIO_NET_ERR);
  });
});

describe("virtio-net protocol errors", () => {
  const cases: [string, (env: ReturnType<typeof netSetup>) => void, RegExp][] = [
    ["a tx header shorter than 12 bytes", (env) => { env.net.tx.add([{ read: new Uint8Array(8) }]); env.model.notify(1); },
      /tx buffer \d+: 8 readable bytes, shorter than the 12-byte header/],
    ["a tx frame over 65550 bytes", (env) => { env.net.send(new Uint8Array(65551)); },
      /tx buffer \d+: 65551-byte frame is larger than 65550 bytes/],
    ["a control command without class and command", (env) => { env.net.ctrl!.add([{ read: Uint8Array.of(0) }, { write: 1 }]); env.model.notify(2); },
      /control command \d+: 1 readable bytes, need class and command/],
    ["a control command without an ack byte", (env) => { env.net.ctrl!.add([{ read: Uint8Array.of(0, 0, 1) }]); env.model.notify(2); },
      /control command \d+: no device-writable byte for the ack/],
    ["an rx buffer too small for the header", (env) => { env.net.postRx(1, 8); env.backend.push({ bytes: etherFrame(1, 60) }); },
      /rx buffer \d+ has 8 writable bytes, less than the 12-byte header/],
  ];

  it.each(cases)("%s needs a reset, and nothing throws", (_, act, reason) => {
    const env = netSetup();
    env.net.send(etherFrame(0, 60)); // traffic first, so the shared policy is polling
    expect(() => act(env)).not.toThrow();
    // While the pair polls, the driver may not kick at all (a packed ring's DISABLE): the
    // device finds the buffer at its next tick at the latest.
    env.poll.tick();
    expect(env.model.status & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(env.model.view().lastError).toMatch(reason);
    expect(env.logs.some((l) => reason.test(l))).toBe(true);
    // The device let go of everything: no polling, no capabilities, later events are ignored.
    expect(env.poll.subscribers).toBe(0);
    expect(env.backend.capabilities).toBeUndefined();
    expect(() => {
      env.backend.push({ bytes: etherFrame(2, 60) });
      env.poll.tick();
    }).not.toThrow();
  });
});
