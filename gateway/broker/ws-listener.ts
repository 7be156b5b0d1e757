/**
 * MQTT over WebSocket for browser-based HMIs (subprotocol "mqtt", one path). Each WebSocket becomes a byte
 * stream (ws' createWebSocketStream) handed to Aedes like a TCP socket; the broker's packet-size guard reads it
 * too. WebSocket frames are capped at the MQTT packet limit so ws never buffers more than that per message.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { closeServer, listenOn } from './listen.js';

export interface WsListenerConfig {
  host: string;
  port: number;
  path: string;
  maxPacketSize: number;
  maxClients: number;
  /** Upgrade requests must complete their headers within this. */
  headersTimeoutMs: number;
}

export class MqttWsListener {
  readonly #config: WsListenerConfig;
  readonly #log: Logger;
  readonly #onStream: (stream: Duplex, address: string) => void;
  readonly #onDrop: (reason: 'max-clients') => void;
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;

  constructor(deps: {
    config: WsListenerConfig; log: Logger;
    onStream: (stream: Duplex, address: string) => void;
    onDrop: (reason: 'max-clients') => void;
  }) {
    this.#config = deps.config;
    this.#log = deps.log;
    this.#onStream = deps.onStream;
    this.#onDrop = deps.onDrop;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const c = this.#config;
    // Node checks these timeouts only every connectionsCheckingInterval (30 s by default): check every second.
    const http = createServer({ headersTimeout: c.headersTimeoutMs, requestTimeout: c.headersTimeoutMs * 2, connectionsCheckingInterval: 1_000 }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('MQTT over WebSocket only\n');
    });
    http.maxConnections = c.maxClients;
    http.on('drop', () => this.#onDrop('max-clients'));
    // headersTimeout starts with the first byte: a socket that sends none would stay open until the peer leaves.
    // Until it is upgraded, a socket idle for headersTimeoutMs is closed.
    http.on('connection', (socket) => socket.setTimeout(c.headersTimeoutMs, () => socket.destroy()));
    const wss = new WebSocketServer({
      server: http,
      path: c.path,
      maxPayload: c.maxPacketSize,
      perMessageDeflate: false, // no decompression bombs
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    });
    wss.on('connection', (ws, req: IncomingMessage) => {
      // From here the broker's connect and keep-alive timeouts apply.
      req.socket.setTimeout(0);
      const stream = createWebSocketStream(ws);
      // A reset connection must not become an uncaught error; Aedes reports the close.
      stream.on('error', () => {});
      const address = req.socket.remoteAddress ?? 'unknown';
      this.#onStream(stream, address);
    });
    wss.on('error', (err) => this.#log.warn({ err }, 'mqtt ws error'));
    this.#http = http;
    this.#wss = wss;
    this.#port = await listenOn(http, c.port, c.host);
    http.on('error', (err) => this.#log.error({ err }, 'mqtt ws listener error'));
    this.#log.info({ port: this.#port, host: c.host, path: c.path }, 'mqtt ws listening');
  }

  stopAccepting(): void {
    if (this.#http?.listening) this.#http.close();
  }

  async stop(): Promise<void> {
    for (const ws of this.#wss?.clients ?? []) ws.terminate();
    this.#wss?.close();
    const http = this.#http;
    if (http) {
      http.closeAllConnections();
      await closeServer(http);
    }
  }
}
