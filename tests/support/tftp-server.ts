// A one-file TFTP server (RFC 1350, read requests only) on 127.0.0.1, for a guest's UDP:
// busybox's tftp asks for a file and the answer comes back in 512-byte DATA blocks, each
// acknowledged. It answers from its own port (a real server answers from a new one, which
// a port-restricted NAT such as QEMU's or ringside's user mode would drop) and counts what
// it served. Stops by itself after `lifetimeMs`.
import dgram from "node:dgram";

export interface TftpServer {
  port: number;
  /** Read requests seen, by file name. */
  requests: string[];
  close(): void;
}

const BLOCK = 512;

export async function startTftpServer(file: { name: string; bytes: Uint8Array }, lifetimeMs = 120_000): Promise<TftpServer> {
  const socket = dgram.createSocket("udp4");
  const requests: string[] = [];
  const blockAt = (n: number): Buffer => {
    const data = file.bytes.subarray((n - 1) * BLOCK, n * BLOCK);
    const packet = Buffer.alloc(4 + data.length);
    packet.writeUInt16BE(3, 0);
    packet.writeUInt16BE(n & 0xffff, 2);
    packet.set(data, 4);
    return packet;
  };
  socket.on("message", (message, from) => {
    const opcode = message.readUInt16BE(0);
    if (opcode === 1) {
      const name = message.subarray(2, message.indexOf(0, 2)).toString();
      requests.push(name);
      if (name !== file.name) {
        const error = Buffer.concat([Buffer.from([0, 5, 0, 1]), Buffer.from("File not found\0")]);
        socket.send(error, from.port, from.address);
        return;
      }
      socket.send(blockAt(1), from.port, from.address);
    } else if (opcode === 4) {
      const acked = message.readUInt16BE(2);
      // The last block is the first one shorter than 512 bytes (possibly empty).
      if ((acked - 1) * BLOCK + BLOCK <= file.bytes.length) socket.send(blockAt(acked + 1), from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const timer = setTimeout(() => socket.close(), lifetimeMs);
  timer.unref();
  return {
    port: socket.address().port,
    requests,
    close: () => {
      clearTimeout(timer);
      socket.close();
    },
  };
}
