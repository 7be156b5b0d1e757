/**
 * PUBLISH packets of one bench client, generated with mqtt-packet ahead of the timed run so the driver
 * only hands contiguous byte ranges to the socket. Packets are kept in chunks of CHUNK_MESSAGES; a write
 * never crosses a chunk boundary, so every write is a zero-copy subarray.
 */
import mqttPacket from 'mqtt-packet';

export const CHUNK_MESSAGES = 1024;

export interface PublishSpec {
  topic: string;
  /** Template with {client}/{i}; empty means `size` zero bytes (mqtt-benchmark's default payload). */
  payload: string;
  size: number;
  qos: 0 | 1;
  clientIndex: number;
  count: number;
}

/** {client} → client number, {i} → message number (both from 0). */
export function expandTemplate(template: string, clientIndex: number, messageIndex: number): string {
  return template.replaceAll('{client}', String(clientIndex)).replaceAll('{i}', String(messageIndex));
}

/** Packet identifiers cycle through 1..65535 (0 is not allowed, MQTT-2.3.1-1). */
export function messageIdFor(messageIndex: number): number {
  return (messageIndex % 65_535) + 1;
}

interface Chunk {
  buf: Buffer;
  /** Byte offset of each packet in buf, plus the end offset. */
  offsets: Uint32Array;
}

export class PublishPackets {
  private readonly spec: PublishSpec;
  private readonly chunks: (Chunk | undefined)[];
  private readonly perMessage: boolean;
  private template: Buffer | undefined;
  private sharedQos0Chunk: Chunk | undefined;

  constructor(spec: PublishSpec) {
    this.spec = spec;
    this.chunks = new Array<Chunk | undefined>(Math.ceil(spec.count / CHUNK_MESSAGES));
    this.perMessage = spec.topic.includes('{i}') || spec.payload.includes('{i}');
  }

  /** Size in bytes of message 0, an estimate of every packet's size. */
  estimatePacketBytes(): number {
    return this.generateOne(0).length;
  }

  /** Generates every chunk now (outside the timed window). */
  pregenerate(): void {
    for (let k = 0; k < this.chunks.length; k++) this.chunk(k);
  }

  /** End (exclusive) of the chunk holding message `from`: writes stop there. */
  chunkEnd(from: number): number {
    return Math.min((Math.floor(from / CHUNK_MESSAGES) + 1) * CHUNK_MESSAGES, this.spec.count);
  }

  /** Bytes of messages [from, to), which must lie in one chunk. */
  range(from: number, to: number): Buffer {
    const k = Math.floor(from / CHUNK_MESSAGES);
    const base = k * CHUNK_MESSAGES;
    const c = this.chunk(k);
    return c.buf.subarray(c.offsets[from - base]!, c.offsets[to - base]!);
  }

  /** Frees a chunk that has been fully written (its buffer stays alive while the socket holds it). */
  release(from: number): void {
    const k = Math.floor(from / CHUNK_MESSAGES);
    this.chunks[k] = undefined;
  }

  private generateOne(i: number): Buffer {
    const { spec } = this;
    const topic = expandTemplate(spec.topic, spec.clientIndex, i);
    const payload = spec.payload === '' ? Buffer.alloc(spec.size) : Buffer.from(expandTemplate(spec.payload, spec.clientIndex, i));
    return mqttPacket.generate({
      cmd: 'publish', qos: spec.qos, dup: false, retain: false, topic, payload,
      ...(spec.qos > 0 ? { messageId: messageIdFor(i) } : {}),
    });
  }

  private chunk(k: number): Chunk {
    const existing = this.chunks[k];
    if (existing) return existing;
    const from = k * CHUNK_MESSAGES;
    const to = Math.min(from + CHUNK_MESSAGES, this.spec.count);
    const built = this.perMessage ? this.buildPerMessage(from, to) : this.buildFromTemplate(from, to);
    this.chunks[k] = built;
    return built;
  }

  private buildPerMessage(from: number, to: number): Chunk {
    if (this.spec.topic.includes('{i}')) return this.buildGenerated(from, to);
    // Only the payload varies: one mqtt-packet template per payload length, copied and patched
    // (generate() per message costs microseconds; this makes pre-generation several times faster).
    const payloads: Buffer[] = [];
    const offsets = new Uint32Array(to - from + 1);
    let at = 0;
    for (let i = from; i < to; i++) {
      const payload = Buffer.from(expandTemplate(this.spec.payload, this.spec.clientIndex, i));
      payloads.push(payload);
      offsets[i - from] = at;
      at += this.templateFor(payload.length).length;
    }
    offsets[to - from] = at;
    const buf = Buffer.allocUnsafe(at);
    for (let j = 0; j < payloads.length; j++) {
      const payload = payloads[j]!;
      const template = this.templateFor(payload.length);
      const off = offsets[j]!;
      template.copy(buf, off);
      const payloadAt = off + template.length - payload.length;
      if (this.spec.qos > 0) buf.writeUInt16BE(messageIdFor(from + j), payloadAt - 2);
      payload.copy(buf, payloadAt);
    }
    return { buf, offsets };
  }

  private readonly templates = new Map<number, Buffer>();

  /** A packet with this client's topic and a zero payload of the given length. */
  private templateFor(payloadLength: number): Buffer {
    let t = this.templates.get(payloadLength);
    if (!t) {
      t = mqttPacket.generate({
        cmd: 'publish', qos: this.spec.qos, dup: false, retain: false,
        topic: expandTemplate(this.spec.topic, this.spec.clientIndex, 0), payload: Buffer.alloc(payloadLength),
        ...(this.spec.qos > 0 ? { messageId: 1 } : {}),
      });
      this.templates.set(payloadLength, t);
    }
    return t;
  }

  private buildGenerated(from: number, to: number): Chunk {
    const parts: Buffer[] = [];
    const offsets = new Uint32Array(to - from + 1);
    let at = 0;
    for (let i = from; i < to; i++) {
      const p = this.generateOne(i);
      parts.push(p);
      offsets[i - from] = at;
      at += p.length;
    }
    offsets[to - from] = at;
    return { buf: Buffer.concat(parts, at), offsets };
  }

  /** Topic and payload are the same for every message: copy one packet and patch the packet id. */
  private buildFromTemplate(from: number, to: number): Chunk {
    if (this.spec.qos === 0 && this.sharedQos0Chunk && to - from === CHUNK_MESSAGES) return this.sharedQos0Chunk;
    const template = (this.template ??= this.generateOne(0));
    const n = to - from;
    const buf = Buffer.allocUnsafe(template.length * n);
    const offsets = new Uint32Array(n + 1);
    // The packet id is the last 2 bytes before the payload (MQTT-3.3.2.2).
    const payloadLength = this.spec.payload === '' ? this.spec.size : Buffer.byteLength(expandTemplate(this.spec.payload, this.spec.clientIndex, 0));
    const idAt = template.length - payloadLength - 2;
    for (let j = 0; j < n; j++) {
      const off = j * template.length;
      template.copy(buf, off);
      if (this.spec.qos > 0) buf.writeUInt16BE(messageIdFor(from + j), off + idAt);
      offsets[j] = off;
    }
    offsets[n] = n * template.length;
    const chunk = { buf, offsets };
    // QoS 0 packets carry no id: one full chunk serves every chunk of this client.
    if (this.spec.qos === 0 && n === CHUNK_MESSAGES) this.sharedQos0Chunk = chunk;
    return chunk;
  }
}
