/**
 * MQTT over TLS (mqtts, default port 8883): TLS 1.2 or newer, a short handshake timeout, and optional client
 * certificates. A client whose certificate verified against caFile is reported with the certificate's CN, which
 * the broker maps to a registered device.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { TLS_SERVER_OPTIONS } from '../../shared/tls-policy.js';
import { closeServer, listenOn } from './listen.js';

export interface TlsListenerConfig {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
  requireClientCert: boolean;
  handshakeTimeoutMs: number;
  maxClients: number;
}

/** The verified client-certificate CN of a TLS socket, or undefined (no certificate, or not verified). */
export function verifiedCommonName(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

export class MqttTlsListener {
  readonly #config: TlsListenerConfig;
  readonly #log: Logger;
  readonly #onSocket: (socket: TLSSocket) => void;
  readonly #onDrop: (reason: 'max-clients' | 'tls-handshake') => void;
  #server: Server | undefined;
  #port = 0;

  constructor(deps: {
    config: TlsListenerConfig; log: Logger;
    onSocket: (socket: TLSSocket) => void;
    onDrop: (reason: 'max-clients' | 'tls-handshake') => void;
  }) {
    this.#config = deps.config;
    this.#log = deps.log;
    this.#onSocket = deps.onSocket;
    this.#onDrop = deps.onDrop;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const c = this.#config;
    const server = createServer({
      cert: readFileSync(c.certFile),
      key: readFileSync(c.keyFile),
      ...(c.caFile !== undefined ? { ca: readFileSync(c.caFile) } : {}),
      ...TLS_SERVER_OPTIONS,
      handshakeTimeout: c.handshakeTimeoutMs,
      // Ask for a certificate whenever a CA is configured; only requireClientCert makes it mandatory.
      requestCert: c.caFile !== undefined,
      rejectUnauthorized: c.requireClientCert,
    }, (socket) => this.#onSocket(socket));
    server.maxConnections = c.maxClients;
    server.on('drop', () => this.#onDrop('max-clients'));
    server.on('tlsClientError', (err, socket) => {
      // Node reports ERR_TLS_HANDSHAKE_TIMEOUT here but leaves the socket open: a client that never speaks would
      // keep its descriptor forever.
      socket.destroy();
      this.#onDrop('tls-handshake');
      this.#log.debug({ err }, 'mqtts handshake failed');
    });
    this.#server = server;
    this.#port = await listenOn(server, c.port, c.host);
    server.on('error', (err) => this.#log.error({ err }, 'mqtts listener error'));
    this.#log.info({ port: this.#port, host: c.host, clientCerts: c.caFile === undefined ? 'off' : c.requireClientCert ? 'required' : 'optional' },
      'mqtts listening');
  }

  /** Stops accepting; live connections are closed by the broker. */
  stopAccepting(): void {
    if (this.#server?.listening) this.#server.close();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server) await closeServer(server);
  }
}
