import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { domWebSocketTransport, nodeWsTransport, type DomWebSocketLike, type NodeWsLike } from "../../src/backends/net/wisp/transport.js";

class FakeDomSocket implements DomWebSocketLike {
  binaryType: BinaryType = "blob";
  bufferedAmount = 7;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closed = 0;
  send(data: Uint8Array): void { this.sent.push(data); }
  close(): void { this.closed++; }
}

class FakeNodeWs extends EventEmitter implements NodeWsLike {
  bufferedAmount = 3;
  readonly calls: string[] = [];
  send(): void { this.calls.push("send"); }
  close(): void { this.calls.push("close"); }
  terminate(): void { this.calls.push("terminate"); }
  pause(): void { this.calls.push("pause"); }
  resume(): void { this.calls.push("resume"); }
}

describe("wisp transports", () => {
  it("the browser's WebSocket: binary messages only, as bytes; one close with the code; no pause", () => {
    const socket = new FakeDomSocket();
    const t = domWebSocketTransport(socket);
    const got: Uint8Array[] = [];
    const closes: string[] = [];
    t.onMessage = (b) => got.push(b);
    t.onClose = (r) => closes.push(r);
    expect(socket.binaryType).toBe("arraybuffer");
    expect(t.pause).toBeUndefined();
    expect(t.bufferedAmount).toBe(7);
    socket.onmessage?.(new MessageEvent("message", { data: new Uint8Array([1, 2]).buffer }));
    socket.onmessage?.(new MessageEvent("message", { data: "text is not wisp" }));
    expect(got).toEqual([new Uint8Array([1, 2])]);
    const close = Object.assign(new Event("close"), { code: 1006, reason: "", wasClean: false }) as CloseEvent;
    socket.onclose?.(close);
    socket.onclose?.(close);
    expect(closes).toEqual(["WebSocket closed (code 1006)"]);
  });

  it("Node's ws: binary messages (fragments joined), pausable, terminate on close, the error in the close reason", () => {
    const socket = new FakeNodeWs();
    const t = nodeWsTransport(socket);
    const got: Uint8Array[] = [];
    const closes: string[] = [];
    t.onMessage = (b) => got.push(b);
    t.onClose = (r) => closes.push(r);
    socket.emit("message", Buffer.from([1]), true);
    socket.emit("message", [Buffer.from([2]), Buffer.from([3, 4])], true);
    socket.emit("message", new Uint8Array([5]).buffer, true);
    socket.emit("message", Buffer.from("text"), false);
    expect(got.map((b) => [...b])).toEqual([[1], [2, 3, 4], [5]]);
    t.pause!();
    t.resume!();
    t.close();
    expect(socket.calls).toEqual(["pause", "resume", "terminate"]);
    socket.emit("error", new Error("connect ECONNREFUSED 127.0.0.1:9"));
    socket.emit("close", 1006, Buffer.alloc(0));
    expect(closes).toEqual(["WebSocket closed (code 1006): connect ECONNREFUSED 127.0.0.1:9"]);
  });
});
