// How a service on the host network (HTTP, echo, discard, chargen) sees one accepted TCP
// connection: a byte stream with backpressure. The TCP stack owns segments, windows and
// retransmission; services only see bytes.

/** The stack's side of one connection, as given to a service. */
export interface StreamConnection {
  /**
   * Queues bytes to send. The stack sends them as the peer's window allows; the bytes
   * are copied or kept, so the caller must not modify `bytes` afterwards.
   */
  write(bytes: Uint8Array): void;
  /** Bytes written but not yet acknowledged by the peer (sent or still waiting). */
  readonly bufferedAmount: number;
  /** Sends FIN once everything written has been sent. Further writes are ignored. */
  end(): void;
  /** Aborts the connection (RST). */
  abort(): void;
}

/** The service's side of one connection. */
export interface StreamHandler {
  /** Bytes from the peer, in order. The array is only valid during the call. */
  onData(bytes: Uint8Array): void;
  /** The peer sent FIN: no more data will come. */
  onEnd(): void;
  /**
   * bufferedAmount fell below STREAM_LOW_WATER_BYTES: a producer (a blob, chargen) writes
   * more now. Producers keep bufferedAmount under STREAM_HIGH_WATER_BYTES so the host's
   * memory stays bounded whatever the guest does.
   */
  onWritable?(): void;
  /** The connection is gone (closed both ways, reset or timed out). */
  onClose?(): void;
}

/** Creates the handler for a newly accepted connection. */
export type StreamService = (connection: StreamConnection) => StreamHandler;

export const STREAM_LOW_WATER_BYTES = 128 * 1024;
export const STREAM_HIGH_WATER_BYTES = 512 * 1024;
