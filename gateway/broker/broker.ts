/**
 * The embedded MQTT broker: Aedes (MQTT 3.1.1) on a TCP listener, with connection limits, the packet size
 * guard, and telemetry ingest installed as the authorizePublish hook.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Aedes, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { BrokerAccess, ConnectOutcome } from '../devices/mqtt-access.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { MqttTelemetryIngest } from '../ingest/mqtt-ingest.js';
import { LogThrottle } from '../../shared/log-throttle.js';
import { closeServer, listenOn } from './listen.js';
import { guardPacketSize, type FirstPacketRules } from './packet-size-guard.js';
import { AddressConnections } from './address-limit.js';
import { ConnectBudget } from './connect-budget.js';
import { RetainQuota, type RetainQuotaConfig } from './retain-quota.js';
import { boundedMemoryPersistence } from './bounded-queues.js';
import type { Duplex } from 'node:stream';
import { ConnectionGuard } from './connection-guard.js';
import type { SignInThrottleConfig } from '../auth/sign-in-throttle.js';
import { MqttTlsListener, verifiedCommonName, type TlsListenerConfig } from './tls-listener.js';
import { MqttWsListener } from './ws-listener.js';

export interface BrokerConfig {
  host: string;
  port: number;
  maxPacketSize: number;
  maxClients: number;
  connectTimeoutMs: number;
  // Hardening (gateway/config/security-config.ts, where the defaults are).
  drainTimeoutMs: number;
  maxInflightInbound: number;
  maxConnectSize: number;
  maxConnectBytesTotal: number;
  maxConnectionsPerAddress: number;
  /** What anonymous clients may do (enforced by the access component); logged at start. */
  anonymousAllow?: readonly string[] | null | undefined;
  quotas: RetainQuotaConfig & { subscriptions: number; maxFilterLength: number; persistentSessions: number; queuedMessages: number };
  authThrottle: SignInThrottleConfig;
  tls?: Omit<TlsListenerConfig, 'host' | 'maxClients'> | undefined;
  ws?: { port: number; path: string } | undefined;
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
  readonly #access: BrokerAccess | undefined;
  /** The device each connection authenticated as (null: anonymous). */
  readonly #principals = new WeakMap<Client, string | null>();
  /**
   * Who created each persistent session (client id → device, null: anonymous): a stored session and its
   * subscriptions are never handed to another principal, even if client-id ownership changed meanwhile.
   */
  readonly #sessionOwners = new Map<string, string | null>();
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  #port = 0;
  readonly #clients = new Map<Client, ClientState>();
  readonly #sockets = new Set<Socket>();
  readonly #guard: ConnectionGuard;
  readonly #refusedLog: LogThrottle;
  /** Remote address and verified client-certificate CN per connection stream. */
  readonly #addresses = new WeakMap<object, string>();
  readonly #certNames = new WeakMap<object, string>();
  readonly #knownDevice: ((id: string) => boolean) | undefined;
  readonly #perAddress: AddressConnections;
  readonly #connectRules: FirstPacketRules;
  readonly #retained: RetainQuota;
  #tls: MqttTlsListener | undefined;
  #ws: MqttWsListener | undefined;

  constructor(deps: {
    config: BrokerConfig; log: Logger; metrics: GatewayMetrics; ingest: MqttTelemetryIngest; clock: () => number;
    /** Device authentication and ACLs; without it every client is let in with full access. */
    access?: BrokerAccess;
    /** Whether a device id is registered: a verified TLS client certificate whose CN names one authenticates as it. */
    knownDevice?: (id: string) => boolean;
  }) {
    this.#config = deps.config;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#ingest = deps.ingest;
    this.#clock = deps.clock;
    this.#access = deps.access;
    this.#knownDevice = deps.knownDevice;
    this.#refusedLog = new LogThrottle({ intervalMs: 60_000, clock: deps.clock });
    this.#perAddress = new AddressConnections(deps.config.maxConnectionsPerAddress);
    this.#retained = new RetainQuota(deps.config.quotas);
    const budget = new ConnectBudget(deps.config.maxConnectBytesTotal);
    this.#connectRules = { maxSize: deps.config.maxConnectSize, reserve: (n) => budget.reserve(n), release: (n) => budget.release(n) };
    this.#guard = new ConnectionGuard({
      clock: deps.clock,
      config: deps.config.authThrottle,
      addressOf: (client) => this.#addresses.get(client.conn) ?? 'unknown',
      onRefused: (reason, _client, detail) => {
        this.#metrics.mqttConnectionsRefused.inc({ reason });
        // A banned client reconnecting at wire speed must not turn into a log flood: one line per address and
        // reason a minute, with the count of those left out (the metric counts every one).
        const suppressed = this.#refusedLog.admit(`${detail.address}\u0000${reason}`);
        if (suppressed >= 0) this.#log.warn({ ...detail, reason, suppressed }, 'mqtt connect refused');
      },
    });
  }

  get tlsPort(): number {
    return this.#tls?.port ?? 0;
  }

  get wsPort(): number {
    return this.#ws?.port ?? 0;
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
    if (this.#access?.allowAnonymous) {
      this.#log.warn({ anonymousAllow: this.#config.anonymousAllow ?? 'everything' }, 'anonymous MQTT access is on: clients without credentials are accepted');
    }
    this.#access?.onRevoked((ids) => {
      this.#metrics.mqttConnectionsRefused.inc({ reason: 'device-revoked' }, this.disconnectDevices(ids));
    });
    const queues = boundedMemoryPersistence(this.#config.quotas.queuedMessages, () => this.#metrics.mqttQuotaRefusals.inc({ quota: 'queued' }));
    const aedes = await Aedes.createBroker({
      persistence: queues.persistence as never,
      connectTimeout: this.#config.connectTimeoutMs,
      // A subscriber whose socket stays full is dropped instead of stalling delivery to everyone else.
      drainTimeout: this.#config.drainTimeoutMs,
      maxInflightInbound: this.#config.maxInflightInbound,
      preConnect: (client, packet, callback) => this.#guard.preConnect(client, packet, callback),
      authorizePublish: (client, packet, callback) => this.#authorizePublish(client, packet, callback),
      ...(this.#access ? {
        authenticate: (client: Client, username: string | undefined, password: Buffer | undefined,
          done: (error: AuthenticateError | null, success: boolean | null) => void) => this.#authenticate(client, username, password, done),
        authorizeSubscribe: (client: Client | null, sub: Subscription, done: (error: Error | null, sub?: Subscription | null) => void) => {
          // A refused filter is granted 0x80 in the SUBACK (MQTT-3.9.3), the connection stays up.
          if (client === null) return done(null, sub);
          const invalid = ConnectionGuard.topicError(sub.topic);
          if (invalid) return done(invalid); // MQTT-1.5.3-1/2: close the connection
          const quota = this.#subscriptionQuota(client, sub.topic);
          if (quota !== undefined) {
            this.#metrics.mqttQuotaRefusals.inc({ quota });
            return done(null, null);
          }
          done(null, this.#access!.maySubscribe(this.#principals.get(client) ?? null, client.id, sub.topic) ? sub : null);
        },
      } : {}),
    });
    this.#aedes = aedes;
    aedes.on('client', (client) => {
      const socket = client.conn as Socket;
      this.#clients.set(client, {
        client,
        clientId: client.id,
        // a WebSocket client's conn is a stream with no remote address: the one noted at accept
        address: socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : this.#addresses.get(client.conn) ?? 'unknown',
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
    aedes.on('clientReady', (client) => this.#guard.authSucceeded(client));
    aedes.on('clientError', (client, err) => {
      const code = (err as Error & { errorCode?: number }).errorCode;
      if (code === 4 || code === 5) this.#guard.authFailed(client);
      this.#log.debug({ clientId: client.id, err }, 'mqtt client error');
    });
    aedes.on('connectionError', (client, err) => {
      this.#log.debug({ clientId: client?.id, err }, 'mqtt connection error');
    });

    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    server.maxConnections = this.#config.maxClients;
    server.on('drop', () => this.#metrics.mqttConnectionsRefused.inc({ reason: 'max-clients' }));
    this.#server = server;
    this.#port = await listenOn(server, this.#config.port, this.#config.host);
    server.on('error', (err) => this.#log.error({ err }, 'mqtt listener error'));
    this.#log.info({ port: this.#port, host: this.#config.host }, 'mqtt listening');
    await this.#startExtraListeners();
  }

  async #startExtraListeners(): Promise<void> {
    const { tls, ws, host, maxClients, maxPacketSize } = this.#config;
    const onDrop = (reason: string): void => { this.#metrics.mqttConnectionsRefused.inc({ reason }); };
    if (tls) {
      this.#tls = new MqttTlsListener({
        config: { ...tls, host, maxClients }, log: this.#log, onDrop,
        onSocket: (socket) => {
          const cn = verifiedCommonName(socket);
          if (cn !== undefined) this.#certNames.set(socket, cn);
          this.#accept(socket);
        },
      });
      await this.#tls.start();
    }
    if (ws) {
      this.#ws = new MqttWsListener({
        config: { ...ws, host, maxClients, maxPacketSize, headersTimeoutMs: this.#config.connectTimeoutMs },
        log: this.#log, onDrop, onStream: (stream, address) => this.#acceptStream(stream, address),
      });
      await this.#ws.start();
    }
  }

  /** Any transport's connection: remembered by address, handed to Aedes, guarded against oversize packets. */
  #acceptStream(stream: Duplex, address: string): void {
    if (!this.#perAddress.admit(address)) {
      this.#metrics.mqttConnectionsRefused.inc({ reason: 'per-address-limit' });
      const suppressed = this.#refusedLog.admit(`${address}\u0000per-address-limit`);
      if (suppressed >= 0) this.#log.warn({ remote: address, limit: this.#config.maxConnectionsPerAddress, suppressed }, 'mqtt connection refused: too many from this address');
      stream.destroy();
      return;
    }
    stream.once('close', () => this.#perAddress.release(address));
    this.#addresses.set(stream, address);
    this.aedes.handle(stream);
    // The guard only listens for 'data' and 'close' and destroys: any Duplex will do.
    guardPacketSize(stream as unknown as Socket, this.#config.maxPacketSize, (reason, kind) => {
      this.#metrics.mqttConnectionsRefused.inc({ reason: kind === 'malformed' ? 'packet-too-large' : kind });
      this.#log.warn({ remote: address, reason }, 'mqtt connection closed: oversize packet');
    }, this.#connectRules);
  }

  /** A TCP or TLS socket: tracked so stop() can close it, then accepted like any stream. */
  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {
      // reported through aedes' clientError/connectionError; a reset socket must not become an uncaught error
    });
    this.#acceptStream(socket, socket.remoteAddress ?? 'unknown');
  }

  #authenticate(client: Client, username: string | undefined, password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const settle = (outcome: ConnectOutcome): void => {
      if (outcome.ok) {
        const refusal = this.#clientIdRefusal(client, outcome.deviceId);
        if (refusal !== undefined) {
          this.#metrics.mqttConnectionsRefused.inc({ reason: refusal.reason });
          const suppressed = this.#refusedLog.admit(`${outcome.deviceId}\u0000${refusal.reason}`);
          if (suppressed >= 0) this.#log.warn({ deviceId: outcome.deviceId, clientId: client.id.slice(0, 128), reason: refusal.message, suppressed }, 'mqtt connect refused');
          done(Object.assign(new Error(refusal.message), { returnCode: 2 }) as AuthenticateError, false);
          return;
        }
        this.#principals.set(client, outcome.deviceId);
        done(null, true);
        return;
      }
      this.#metrics.mqttConnectionsRefused.inc({ reason: outcome.returnCode === 4 ? 'bad-credentials' : 'not-authorized' });
      done(Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError, false);
    };
    // A verified client certificate naming a registered device authenticates as that device (a username, if
    // given, must be the same device).
    const certName = this.#certNames.get(client.conn);
    if (certName !== undefined && (username === undefined || username === certName) && this.#knownDevice?.(certName) === true) {
      settle({ ok: true, deviceId: certName });
      return;
    }
    const outcome = this.#access!.authenticate(username, password);
    if (outcome instanceof Promise) outcome.then(settle, () => settle({ ok: false, returnCode: 5, reason: 'authentication failed' }));
    else settle(outcome);
  }

  /** Why this principal may not use the client's id or its session (CONNACK 2), or undefined. */
  #clientIdRefusal(client: Client, deviceId: string | null): { reason: 'client-id-not-owned' | 'session-quota'; message: string } | undefined {
    const notOwned = (message: string) => ({ reason: 'client-id-not-owned' as const, message });
    if (this.#access && !this.#access.mayUseClientId(deviceId, client.id)) {
      return notOwned(deviceId === null ? 'client id belongs to a device' : `client id is not one of device ${deviceId}'s`);
    }
    // A clean start discards the stored session, so only a resumption needs the same principal.
    if (client.clean) {
      this.#sessionOwners.delete(client.id);
      return undefined;
    }
    const owner = this.#sessionOwners.get(client.id);
    if (owner !== undefined && owner !== deviceId) return notOwned('client id holds another principal\'s session');
    if (owner === undefined) {
      let held = 0;
      for (const o of this.#sessionOwners.values()) if (o === deviceId) held++;
      if (held >= this.#config.quotas.persistentSessions) {
        this.#metrics.mqttQuotaRefusals.inc({ quota: 'persistent-sessions' });
        return { reason: 'session-quota', message: `device already holds ${held} persistent sessions (mqtt.quotas.persistentSessions)` };
      }
    }
    this.#sessionOwners.set(client.id, deviceId);
    return undefined;
  }

  /** Close the connections of removed or re-keyed devices. Returns how many were closed. */
  disconnectDevices(deviceIds: ReadonlySet<string>): number {
    let closed = 0;
    for (const client of this.#clients.keys()) {
      const id = this.#principals.get(client);
      if (id !== undefined && id !== null && deviceIds.has(id)) {
        client.close();
        closed++;
      }
    }
    if (closed > 0) this.#log.info({ devices: [...deviceIds], closed }, 'closed connections of revoked devices');
    return closed;
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (client === null) {
      callback(null);
      return;
    }
    const invalid = ConnectionGuard.topicError(packet.topic);
    if (invalid) {
      callback(invalid); // MQTT-1.5.3-1/2: close the connection
      return;
    }
    // MQTT 3.1.1 has no negative PUBACK: a refused publish closes the connection, so a PUBACK still means "stored".
    const match = this.#ingest.match(packet.topic);
    if (this.#access && !this.#access.mayPublish(this.#principals.get(client) ?? null, client.id, packet.topic, match)) {
      callback(new Error('not authorized to publish to this topic'));
      return;
    }
    const state = this.#clients.get(client);
    const now = this.#clock();
    if (state !== undefined) {
      state.lastMessageAt = now;
      state.messages++;
    }
    // Runs before Aedes stores a retained message (it does so after this callback), and after ingest has
    // cleared the retain flag of telemetry it dead-lettered.
    const retainChecked = (error?: Error | null): void => {
      if (!error && packet.retain && !this.#retained.admit(this.#principals.get(client) ?? null, packet.topic, packet.payload.length)) {
        packet.retain = false;
        this.#metrics.mqttQuotaRefusals.inc({ quota: 'retained' });
      }
      callback(error);
    };
    this.#ingest.handle(client.id, state?.connectedAt ?? now, packet, match, retainChecked);
  }

  /** Which subscription quota a new filter would break, or undefined. A filter the session holds is a replacement. */
  #subscriptionQuota(client: Client, filter: string): 'filter-length' | 'subscriptions' | undefined {
    const q = this.#config.quotas;
    if (filter.length > q.maxFilterLength) return 'filter-length';
    const held = (client as Client & { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
    if (!(filter in held) && Object.keys(held).length >= q.subscriptions) return 'subscriptions';
    return undefined;
  }

  /** A retained QoS 1 message from the gateway itself (alerts), so a client that subscribes later sees the state. */
  publishRetained(topic: string, payload: string): void {
    this.aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (err) => {
      if (err) this.#log.warn({ err, topic }, 'publishing a retained message failed');
    });
  }

  /** Stop accepting new connections; existing ones keep working until stop(). */
  stopAccepting(): void {
    this.#server?.close();
    this.#tls?.stopAccepting();
    this.#ws?.stopAccepting();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const aedes = this.#aedes;
    if (server?.listening) server.close();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await this.#tls?.stop();
    await this.#ws?.stop();
    if (server) await closeServer(server);
    this.#clients.clear();
    this.#metrics.mqttClients.set(0);
  }
}
