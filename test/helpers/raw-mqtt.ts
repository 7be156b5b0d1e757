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

export async function rawConnect(port: number): Promise<RawClient> {
  const socket = netConnect({ port, host: '127.0.0.1' });
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
