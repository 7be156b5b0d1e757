/** Raw MQTT over a TCP socket (mqtt-packet): for sending what a well-behaved client library would refuse to. */
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface RawClient {
  socket: Socket;
  packets: Packet[];
  closed: Promise<void>;
  send(packet: Record<string, unknown> & { cmd: string }): void;
  /** Resolves with the first received packet of this type, or undefined when the socket closes first / after ms. */
  next(cmd: string, ms?: number): Promise<Packet | undefined>;
}

/** `localAddress`: another loopback address (127.0.0.2, …) stands for another machine. */
export async function rawConnect(port: number, localAddress?: string): Promise<RawClient> {
  const socket = netConnect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  const waiters: Array<() => void> = [];
  parser.on('packet', (p) => { packets.push(p); for (const w of waiters.splice(0)) w(); });
  parser.on('error', () => {});
  socket.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => { for (const w of waiters.splice(0)) w(); resolve(); }));
  return {
    socket,
    packets,
    closed,
    send: (packet) => { if (!socket.destroyed) socket.write(mqttPacket.generate(packet as unknown as Packet)); },
    next: (cmd, ms = 5_000) => new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      const check = (): void => {
        const found = packets.find((p) => p.cmd === cmd);
        if (found || socket.destroyed || socket.readyState === 'closed') { clearTimeout(timer); resolve(found); return; }
        waiters.push(check);
      };
      check();
    }),
  };
}

export function connectPacket(fields: Record<string, unknown> = {}): Record<string, unknown> & { cmd: 'connect' } {
  return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'raw', keepalive: 0, ...fields };
}

/**
 * A raw MQTT 3.1.1 session that publishes QoS 1 with packet ids and DUP flags chosen by the test, one message in
 * flight: each publish waits for its PUBACK. For showing what clients that reuse ids (Paho Go, embedded stacks)
 * or redeliver with DUP=1 see; mqtt.js increments ids and cannot.
 */
export interface RawPublisher {
  /** Publishes and resolves with the PUBACK's packet id, or undefined if none came within 5 s. */
  publish(id: number, topic: string, payload: string | Buffer, dup?: boolean): Promise<number | undefined>;
  /** Sends DISCONNECT and waits for the socket to close. */
  end(): Promise<void>;
  /** Drops the TCP connection without DISCONNECT, as a power cut or a lost link would. */
  drop(): Promise<void>;
}

export async function rawPublisher(port: number, clientId: string, clean: boolean): Promise<RawPublisher> {
  const c = await rawConnect(port);
  c.send(connectPacket({ clientId, clean, keepalive: 30 }));
  const connack = await c.next('connack');
  if (connack === undefined) throw new Error(`no CONNACK for ${clientId}`);
  let scanned = 0;
  return {
    async publish(id, topic, payload, dup = false) {
      c.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId: id, dup, retain: false });
      const deadline = Date.now() + 5_000;
      for (;;) {
        while (scanned < c.packets.length) {
          const p = c.packets[scanned++]!;
          if (p.cmd === 'puback') return p.messageId;
        }
        if (c.socket.destroyed || Date.now() > deadline) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          c.socket.once('data', () => { clearTimeout(timer); setImmediate(resolve); });
        });
      }
    },
    async end() {
      c.send({ cmd: 'disconnect' });
      c.socket.end();
      await c.closed;
    },
    async drop() {
      c.socket.destroy();
      await c.closed;
    },
  };
}

/**
 * Opens `count` TCP sockets that send nothing and resolves with how long each stayed open (ms), or null for those
 * still open after `limitMs` (then destroyed).
 */
export async function silentSockets(port: number, count: number, limitMs: number): Promise<Array<number | null>> {
  const opened = Date.now();
  return Promise.all(Array.from({ length: count }, () => new Promise<number | null>((resolve) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    const timer = setTimeout(() => { socket.destroy(); resolve(null); }, limitMs);
    socket.once('close', () => { clearTimeout(timer); resolve(Date.now() - opened); });
  })));
}
