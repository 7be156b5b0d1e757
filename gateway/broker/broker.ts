/**
 * The embedded MQTT broker: Aedes (MQTT 3.1.1) on a TCP listener, with connection limits, the packet size
 * guard, and telemetry ingest installed as the authorizePublish hook.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { GatewayMetrics } from '../metrics.js';
import type { MqttTelemetryIngest } from '../ingest/mqtt-ingest.js';
import { guardPacketSize } from './packet-size-guard.js';

export interface BrokerConfig {
  host: string;
  port: number;
  maxPacketSize: number;
  maxClients: number;
  connectTimeoutMs: number;
}

export interface ClientInfo {
  clientId: string;
  address: string;
  connectedAt: number;
  lastMessageAt: number | null;
  messages: number;
}

interface ClientState extends ClientInfo {
  client: Client;
}

export class MqttBroker {
  readonly #config: BrokerConfig;
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #ingest: MqttTelemetryIngest;
  readonly #clock: () => number;
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  #port = 0;
  readonly #clients = new Map<Client, ClientState>();
  readonly #sockets = new Set<Socket>();

  constructor(deps: { config: BrokerConfig; log: Logger; metrics: GatewayMetrics; ingest: MqttTelemetryIngest; clock: () => number }) {
    this.#config = deps.config;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#ingest = deps.ingest;
    this.#clock = deps.clock;
  }

  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server?.listening === true;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  clients(): ClientInfo[] {
    return [...this.#clients.values()].map(({ client: _client, ...info }) => info);
  }

  /** The underlying Aedes instance, for components that publish (alerts) or subscribe. */
  get aedes(): Aedes {
    if (!this.#aedes) throw new Error('broker not started');
    return this.#aedes;
  }

  async start(): Promise<void> {
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker({
      connectTimeout: this.#config.connectTimeoutMs,
      authorizePublish: (client, packet, callback) => this.#authorizePublish(client, packet, callback),
    });
    this.#aedes = aedes;
    aedes.on('client', (client) => {
      const socket = client.conn as Socket;
      this.#clients.set(client, {
        client,
        clientId: client.id,
        address: socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown',
        connectedAt: this.#clock(),
        lastMessageAt: null,
        messages: 0,
      });
      this.#metrics.mqttClients.set(this.#clients.size);
    });
    aedes.on('clientDisconnect', (client) => {
      this.#clients.delete(client);
      this.#metrics.mqttClients.set(this.#clients.size);
    });
    aedes.on('clientError', (client, err) => {
      this.#log.debug({ clientId: client.id, err }, 'mqtt client error');
    });
    aedes.on('connectionError', (client, err) => {
      this.#log.debug({ clientId: client?.id, err }, 'mqtt connection error');
    });

    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    server.maxConnections = this.#config.maxClients;
    server.on('drop', () => this.#metrics.mqttConnectionsRefused.inc({ reason: 'max-clients' }));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#config.port, this.#config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#log.error({ err }, 'mqtt listener error'));
    const address = server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : this.#config.port;
    this.#log.info({ port: this.#port, host: this.#config.host }, 'mqtt listening');
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {
      // reported through aedes' clientError/connectionError; a reset socket must not become an uncaught error
    });
    this.aedes.handle(socket);
    guardPacketSize(socket, this.#config.maxPacketSize, (reason) => {
      this.#metrics.mqttConnectionsRefused.inc({ reason: 'packet-too-large' });
      this.#log.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'mqtt connection closed: oversize packet');
    });
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (client === null) {
      callback(null);
      return;
    }
    const state = this.#clients.get(client);
    const now = this.#clock();
    if (state !== undefined) {
      state.lastMessageAt = now;
      state.messages++;
    }
    this.#ingest.handle(client.id, state?.connectedAt ?? now, packet, callback);
  }

  /** Stop accepting new connections; existing ones keep working until stop(). */
  stopAccepting(): void {
    this.#server?.close();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const aedes = this.#aedes;
    if (server?.listening) server.close();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    this.#clients.clear();
    this.#metrics.mqttClients.set(0);
  }
}
