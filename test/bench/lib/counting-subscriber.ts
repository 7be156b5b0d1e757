/**
 * The one subscriber of the Mosquitto baseline: a raw MQTT 3.1.1 connection that subscribes at QoS 0
 * and counts PUBLISH packets, remembering when the last one arrived. It only walks the fixed headers
 * (type nibble + Remaining Length, MQTT-2.2) instead of decoding each packet: the subscriber shares the
 * driver's process and must not be what limits the baseline.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import mqttPacket from 'mqtt-packet';

const PUBLISH = 3;
const CONNACK = 2;
const SUBACK = 9;

/** Splits a byte stream into MQTT frames and reports each frame's packet type. */
export class FrameCounter {
  private skip = 0;
  private header: number[] = [];
  private readonly onFrame: (type: number) => void;

  constructor(onFrame: (type: number) => void) {
    this.onFrame = onFrame;
  }

  push(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(data[i++]!);
      // header[0] is the type byte; then 1–4 Remaining Length bytes, the last one below 0x80.
      const h = this.header;
      if (h.length < 2 || (h[h.length - 1]! & 0x80) !== 0) {
        if (h.length > 5) throw new Error('malformed Remaining Length');
        continue;
      }
      let length = 0;
      for (let k = h.length - 1; k >= 1; k--) length = length * 128 + (h[k]! & 0x7f);
      this.onFrame(h[0]! >> 4);
      this.header = [];
      this.skip = length;
    }
  }
}

export class CountingSubscriber {
  private readonly host: string;
  private readonly port: number;
  private readonly filter: string;
  private socket: net.Socket | undefined;
  received = 0;
  lastAt = 0;

  constructor(opts: { host: string; port: number; filter: string }) {
    this.host = opts.host;
    this.port = opts.port;
    this.filter = opts.filter;
  }

  async start(): Promise<void> {
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('subscriber: no SUBACK within 5 s')), 5000);
      socket.once('error', reject);
      let publishes = 0;
      const frames = new FrameCounter((type) => {
        if (type === PUBLISH) publishes++;
        else if (type === CONNACK) {
          socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: this.filter, qos: 0 }] }));
        } else if (type === SUBACK) {
          clearTimeout(timer);
          socket.off('error', reject);
          resolve();
        }
      });
      socket.on('data', (data: Buffer) => {
        publishes = 0;
        frames.push(data);
        if (publishes > 0) {
          this.received += publishes;
          this.lastAt = performance.now();
        }
      });
      socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: `bench-sub-${process.pid}` }));
    });
  }

  reset(): void {
    this.received = 0;
    this.lastAt = 0;
  }

  stop(): void {
    this.socket?.destroy();
  }
}
