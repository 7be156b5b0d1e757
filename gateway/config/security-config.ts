/**
 * The gateway's hardening options, spread into gateway/config/config.ts's schema: MQTT over TLS and WebSocket,
 * Aedes' flow-control limits, authentication-failure throttling, and the HTTP exposure rule (the HTTP server binds
 * to loopback unless a technician password protects it).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const mqttTlsSchema = z.strictObject({
  port: port.default(8883).describe('MQTT over TLS (mqtts) port, used only when mqtt.tls is set (with certFile and keyFile); 0 picks a free one (logged as "mqtts listening").'),
  certFile: z.string({ error: 'required to turn on the MQTT TLS listener: a PEM server certificate (chain) file' }).min(1)
    .describe('PEM server certificate (chain). Required when mqtt.tls is set.'),
  keyFile: z.string({ error: 'required to turn on the MQTT TLS listener: the PEM private key file of certFile' }).min(1)
    .describe('PEM private key of the server certificate. Required when mqtt.tls is set.'),
  caFile: z.string().min(1).optional()
    .describe('PEM CA certificates that sign device client certificates; a verified client certificate whose CN names a registered device authenticates as that device.'),
  requireClientCert: z.boolean().default(false)
    .describe('Refuse TLS clients without a client certificate signed by caFile (needs caFile).'),
  handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(5_000)
    .describe('A TLS handshake not finished in this time is dropped.'),
}).refine((t) => !t.requireClientCert || t.caFile !== undefined, { message: 'requireClientCert needs caFile', path: ['caFile'] });

export const mqttWsSchema = z.strictObject({
  port: port.default(8083).describe('MQTT over WebSocket port (browser HMIs), used only when mqtt.ws is set (e.g. "ws": {}); 0 picks a free one (logged as "mqtt ws listening").'),
  path: z.string().regex(/^\/[\x21-\x7e]*$/, 'must start with / and hold printable ASCII only').default('/mqtt')
    .describe('HTTP path of the WebSocket endpoint; upgrades elsewhere are refused.'),
});

/** Spread into the `mqtt` object of the gateway schema. */
export const mqttHardeningFields = {
  tls: mqttTlsSchema.optional().describe('MQTT over TLS listener (TLS ≥ 1.2); unset: no TLS listener.'),
  ws: mqttWsSchema.optional().describe('MQTT over WebSocket listener; unset: none. Binds mqtt.host.'),
  drainTimeoutMs: z.number().int().min(0).default(10_000)
    .describe('A subscriber whose socket does not drain within this is disconnected, so a frozen client cannot stall delivery to others (0: wait forever).'),
  maxInflightInbound: z.number().int().min(1).max(65_535).default(100)
    .describe('Inbound QoS 2 messages one client may have awaiting PUBREL; beyond this the connection is closed.'),
  maxConnectSize: z.number().int().min(64).max(268_435_455).default(16_384)
    .describe('Largest CONNECT packet (client id, credentials and will message included), in bytes; a larger one closes the connection as soon as its header arrives.'),
  maxConnectBytesTotal: z.number().int().min(1_024).default(8_388_608)
    .describe('Bytes of CONNECT packets being received at once, over all connections (what unauthenticated clients may make the broker hold); a connection that would exceed it is closed.'),
  maxConnectionsPerAddress: z.number().int().min(0).default(256)
    .describe('Open MQTT connections from one source address, over all listeners; more are closed at once (0: no limit).'),
  quotas: z.strictObject({
    retainedMessages: z.number().int().min(0).default(100)
      .describe('Retained messages one device may keep in the broker; a retained PUBLISH beyond it is delivered but not retained.'),
    retainedBytes: z.number().int().min(0).default(1_048_576)
      .describe('Payload bytes of the retained messages one device may keep; beyond it as for retainedMessages.'),
    subscriptions: z.number().int().min(1).default(100)
      .describe('Subscriptions one client session may hold; more are refused (SUBACK 0x80).'),
    maxFilterLength: z.number().int().min(1).max(65_535).default(256)
      .describe('Longest topic filter accepted in a SUBSCRIBE, in characters; longer ones are refused (SUBACK 0x80).'),
    queuedMessages: z.number().int().min(1).default(1_000)
      .describe('QoS 1/2 messages kept for one offline persistent session; later ones are dropped for it until it reconnects and acknowledges.'),
    persistentSessions: z.number().int().min(0).default(10)
      .describe('Client ids with a stored (CleanSession=0) session one device may hold; a further one gets CONNACK 2.'),
  }).prefault({}).describe('Per-device limits on what the broker keeps in memory for a device.'),
  authThrottle: z.strictObject({
    addressFreeFailures: z.number().int().min(1).default(20)
      .describe('Failed sign-ins (MQTT CONNECT, HTTP credentials) per source address before further attempts from it are refused unchecked for a while; refused attempts count too.'),
    userFreeFailures: z.number().int().min(1).default(200)
      .describe('Failed sign-ins per user name (device id, HTTP Basic user) across all addresses before that user is refused from every address that has itself failed for it; an address that never failed is still checked.'),
    banMs: z.number().int().min(0).default(1_000).describe('First refusal period; doubles with every further failure.'),
    maxBanMs: z.number().int().min(0).default(300_000).describe('Longest refusal period.'),
    windowMs: z.number().int().min(1_000).default(600_000).describe('Failures are forgotten after this long without a new one.'),
  }).prefault({}),
};

/** Spread into the `http` object of the gateway schema. */
export const httpExposureFields = {
  allowedHosts: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+$/, 'a DNS name')).default([])
    .describe('Host names the HTTP server answers to besides IP addresses and localhost (e.g. gateway.plant.local); requests naming any other host get 421, which stops DNS-rebinding pages.'),
  password: z.string().min(8).optional()
    .describe('Technician password of the status page (clear, hashed at start, or an scrypt$… hash from `smartmaint status-password`); required before http.host may be a non-loopback address.'),
};

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Gateway HTTP binds to loopback unless a technician password is configured: its data is not for the whole plant network. */
export function refineHttpExposure(http: { host: string; password?: string | undefined }, ctx: z.RefinementCtx): void {
  if (!isLoopbackHost(http.host) && http.password === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['host'],
      message: `binding HTTP to ${http.host} exposes the gateway's pages and API beyond this machine; set http.password (technician password) first, or keep the default 127.0.0.1`,
    });
  }
}
