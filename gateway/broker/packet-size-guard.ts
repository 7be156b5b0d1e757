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

/**
 * The first packet of a connection is its CONNECT (MQTT-3.1.0-1), sent before anyone knows who the client is:
 * it gets a smaller limit of its own, and its bytes are reserved from a budget shared by all connections until
 * it has fully arrived (or the connection closes), so sockets trickling large CONNECTs cannot pile up memory.
 */
export interface FirstPacketRules {
  maxSize: number;
  /** Reserve this many bytes for a CONNECT being received; a reason string refuses the connection. */
  reserve(bytes: number): string | undefined;
  /** The CONNECT has arrived (or will never): give its reservation back. */
  release(bytes: number): void;
}

export type PacketViolation = 'packet-too-large' | 'connect-too-large' | 'connect-budget' | 'malformed';

export class PacketSizeTracker {
  readonly #max: number;
  readonly #first: FirstPacketRules | undefined;
  /** Packets whose header has been read so far. */
  #packets = 0;
  /** Bytes reserved for the CONNECT still being received (0: none). */
  #reserved = 0;
  /** What the last refusal was, for metrics. */
  violation: PacketViolation | undefined;
  #inHeader = true;
  #headerBytes = 0; // bytes of the current fixed header seen (type byte + length bytes)
  #length = 0;
  #multiplier = 1;
  #remaining = 0;

  constructor(maxPacketSize: number, first?: FirstPacketRules) {
    this.#max = maxPacketSize;
    this.#first = first;
  }

  /** Gives back the CONNECT reservation, if any (the connection closed). */
  releaseReservation(): void {
    if (this.#reserved > 0) this.#first?.release(this.#reserved);
    this.#reserved = 0;
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
        if (this.#remaining === 0) {
          this.releaseReservation();
          this.#resetHeader();
        }
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
        if (this.#headerBytes > 4) { // §2.2.3: at most four bytes
          this.violation = 'malformed';
          return 'malformed remaining length';
        }
        continue;
      }
      const total = this.#headerBytes + this.#length;
      const first = this.#packets === 0 && this.#first !== undefined;
      this.#packets++;
      if (first && total > this.#first!.maxSize) {
        this.violation = 'connect-too-large';
        return `CONNECT of ${total} bytes exceeds ${this.#first!.maxSize}`;
      }
      if (total > this.#max) {
        this.violation = 'packet-too-large';
        return `packet of ${total} bytes exceeds ${this.#max}`;
      }
      if (first && this.#length > 0) {
        const refused = this.#first!.reserve(total);
        if (refused !== undefined) {
          this.violation = 'connect-budget';
          return refused;
        }
        this.#reserved = total;
      }
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
export function guardPacketSize(socket: Socket, maxPacketSize: number, onViolation: (reason: string, kind: PacketViolation) => void,
  first?: FirstPacketRules): void {
  const tracker = new PacketSizeTracker(maxPacketSize, first);
  const onData = (chunk: Buffer): void => {
    const reason = tracker.push(chunk);
    if (reason !== undefined) {
      socket.removeListener('data', onData);
      tracker.releaseReservation();
      onViolation(reason, tracker.violation ?? 'packet-too-large');
      socket.destroy();
    }
  };
  socket.on('data', onData);
  socket.once('close', () => tracker.releaseReservation());
}
