/**
 * Aedes 1.x has no maximum packet size (aedes issue #831): mqtt-packet buffers whatever Remaining Length a
 * client announces. This guard follows the MQTT fixed header (MQTT 3.1.1 §2.2: one type byte, then a 1–4 byte
 * variable-length Remaining Length, §2.2.3) across the byte stream and closes the connection as soon as a
 * packet announces more than the limit, before its body is received.
 *
 * It watches the bytes Aedes reads: Aedes consumes the socket with 'readable' + read(), and a 'data' listener
 * added after Aedes' own sees each chunk as read() returns it, before Aedes parses it (Node streams emit 'data'
 * from read() when a 'readable' listener controls the flow).
 */
import type { Socket } from 'node:net';

export class PacketSizeTracker {
  readonly #max: number;
  #inHeader = true;
  #headerBytes = 0; // bytes of the current fixed header seen (type byte + length bytes)
  #length = 0;
  #multiplier = 1;
  #remaining = 0;

  constructor(maxPacketSize: number) {
    this.#max = maxPacketSize;
  }

  /** Feed bytes; returns a reason string when the stream must be closed, or undefined. */
  push(chunk: Buffer): string | undefined {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (!this.#inHeader) {
        const skip = Math.min(this.#remaining, n - i);
        i += skip;
        this.#remaining -= skip;
        if (this.#remaining === 0) this.#resetHeader();
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#headerBytes === 0) {
        this.#headerBytes = 1; // packet type and flags
        continue;
      }
      this.#headerBytes++;
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      if (byte & 0x80) {
        if (this.#headerBytes > 4) return 'malformed remaining length'; // §2.2.3: at most four bytes
        continue;
      }
      const total = this.#headerBytes + this.#length;
      if (total > this.#max) return `packet of ${total} bytes exceeds ${this.#max}`;
      if (this.#length === 0) this.#resetHeader();
      else {
        this.#inHeader = false;
        this.#remaining = this.#length;
      }
    }
    return undefined;
  }

  #resetHeader(): void {
    this.#inHeader = true;
    this.#headerBytes = 0;
    this.#length = 0;
    this.#multiplier = 1;
    this.#remaining = 0;
  }
}

/** Attach after Aedes' handle(socket). Calls onViolation once and destroys the socket. */
export function guardPacketSize(socket: Socket, maxPacketSize: number, onViolation: (reason: string) => void): void {
  const tracker = new PacketSizeTracker(maxPacketSize);
  const onData = (chunk: Buffer): void => {
    const reason = tracker.push(chunk);
    if (reason !== undefined) {
      socket.removeListener('data', onData);
      onViolation(reason);
      socket.destroy();
    }
  };
  socket.on('data', onData);
}
