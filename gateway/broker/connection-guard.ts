/**
 * Hostile-input checks in front of Aedes that Aedes 1.2 does not make itself (issue 8):
 * - CONNECT: a zero-length client id with CleanSession=0 is refused with CONNACK 0x02 (MQTT-3.1.3-8; Aedes would
 *   invent an id); a client id holding U+0000 or bytes that are not UTF-8 is refused with 0x02 (MQTT-1.5.3-1/2).
 * - Authentication-failure throttling per remote address and per client id: after `freeFailures` failures in a
 *   window, further CONNECTs are refused (CONNACK 0x05) for an exponentially growing ban, without checking
 *   credentials, so passwords cannot be guessed at wire speed.
 * - Topic names and filters holding U+0000 or non-UTF-8 bytes close the connection (MQTT-1.5.3-1/2).
 *
 * mqtt-packet decodes strings with Buffer#toString('utf8'), which turns malformed sequences into U+FFFD; so U+FFFD
 * (a character no device has a reason to put in a topic or client id) is taken as "was not UTF-8".
 */
import mqttPacket from 'mqtt-packet';
import type { Client, ConnectPacket } from 'aedes';

/** mqtt.authThrottle of the gateway config (gateway/security-config.ts: meanings and defaults live there). */
export interface AuthThrottleConfig {
  freeFailures: number;
  addressFreeFailures: number;
  banMs: number;
  maxBanMs: number;
  windowMs: number;
}

/** Most keys tracked at once (oldest forgotten first), so a spray of addresses cannot grow memory. */
export const MAX_TRACKED_KEYS = 10_000;

/** True when a decoded MQTT string may be used as a topic or client id (MQTT-1.5.3). */
export function isValidMqttString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 0xfffd) return false;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot come from valid UTF-8 (only from a caller handing us a JS string).
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  bannedUntil: number;
}

/** Counts authentication failures per key and says when a key is banned. Bounded in size. */
export class AuthFailureThrottle {
  readonly #config: AuthThrottleConfig;
  readonly #clock: () => number;
  readonly #maxKeys: number;
  readonly #records = new Map<string, FailureRecord>();

  constructor(config: AuthThrottleConfig, clock: () => number, maxKeys = MAX_TRACKED_KEYS) {
    this.#config = config;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  get trackedKeys(): number {
    return this.#records.size;
  }

  /** Milliseconds the key is still banned for (0: not banned). */
  bannedFor(key: string): number {
    const rec = this.#fresh(key);
    return rec ? Math.max(0, rec.bannedUntil - this.#clock()) : 0;
  }

  recordFailure(key: string, freeFailures = this.#config.freeFailures): void {
    const now = this.#clock();
    const rec = this.#fresh(key) ?? { failures: 0, lastFailureAt: now, bannedUntil: 0 };
    rec.failures++;
    rec.lastFailureAt = now;
    const over = rec.failures - freeFailures;
    if (over > 0) {
      rec.bannedUntil = now + Math.min(this.#config.maxBanMs, this.#config.banMs * 2 ** Math.min(over - 1, 30));
    }
    // Re-insert so Map order is least-recently-failed first; evict from the front when full.
    this.#records.delete(key);
    this.#records.set(key, rec);
    while (this.#records.size > this.#maxKeys) {
      const oldest = this.#records.keys().next().value as string;
      this.#records.delete(oldest);
    }
  }

  forget(key: string): void {
    this.#records.delete(key);
  }

  #fresh(key: string): FailureRecord | undefined {
    const rec = this.#records.get(key);
    if (rec === undefined) return undefined;
    const now = this.#clock();
    if (now - rec.lastFailureAt > this.#config.windowMs && now >= rec.bannedUntil) {
      this.#records.delete(key);
      return undefined;
    }
    return rec;
  }
}

export type ConnectRefusal = 'empty-client-id' | 'invalid-client-id' | 'auth-throttled';

export interface ConnectionGuardDeps {
  config: AuthThrottleConfig;
  clock: () => number;
  /** The remote address of a connection ('unknown' when the transport has none). */
  addressOf: (client: Client) => string;
  onRefused: (reason: ConnectRefusal, client: Client, detail: { clientId: string; address: string }) => void;
}

export class ConnectionGuard {
  readonly throttle: AuthFailureThrottle;
  readonly #addressFreeFailures: number;
  readonly #addressOf: (client: Client) => string;
  readonly #onRefused: ConnectionGuardDeps['onRefused'];

  constructor(deps: ConnectionGuardDeps) {
    this.throttle = new AuthFailureThrottle(deps.config, deps.clock);
    this.#addressFreeFailures = deps.config.addressFreeFailures;
    this.#addressOf = deps.addressOf;
    this.#onRefused = deps.onRefused;
  }

  /** Aedes' preConnect hook. Refusals send their CONNACK first, then let Aedes close the connection. */
  preConnect(client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void): void {
    const clientId = packet.clientId ?? '';
    const address = this.#addressOf(client);
    let refusal: { reason: ConnectRefusal; returnCode: 2 | 5 } | undefined;
    if (clientId.length === 0 && packet.clean === false) refusal = { reason: 'empty-client-id', returnCode: 2 };
    else if (!isValidMqttString(clientId)) refusal = { reason: 'invalid-client-id', returnCode: 2 };
    else if (this.throttle.bannedFor(addressKey(address)) > 0 || (clientId !== '' && this.throttle.bannedFor(clientKey(clientId)) > 0)) {
      refusal = { reason: 'auth-throttled', returnCode: 5 };
    }
    if (refusal === undefined) {
      callback(null, true);
      return;
    }
    this.#onRefused(refusal.reason, client, { clientId: clientId.slice(0, 128), address });
    const error = new Error(`connection refused: ${refusal.reason}`);
    sendConnack(client, refusal.returnCode, () => callback(error, false));
  }

  /** Call when a CONNECT failed authentication (CONNACK 4 or 5). */
  authFailed(client: Client): void {
    this.throttle.recordFailure(addressKey(this.#addressOf(client)), this.#addressFreeFailures);
    if (client.id) this.throttle.recordFailure(clientKey(client.id));
  }

  /** Call when a client authenticated: its client id's record is cleared (the address's is not). */
  authSucceeded(client: Client): void {
    if (client.id) this.throttle.forget(clientKey(client.id));
  }

  /** Topic-name / filter check for PUBLISH and SUBSCRIBE (MQTT-1.5.3-1/2). */
  static topicError(topic: string): Error | undefined {
    return isValidMqttString(topic) ? undefined : new Error('topic is not valid UTF-8 or contains U+0000');
  }
}

function addressKey(address: string): string {
  return `a\u0000${address}`;
}

function clientKey(clientId: string): string {
  return `c\u0000${clientId}`;
}

/** Writes a CONNACK straight to the connection (Aedes' preConnect refusal sends none) and waits until it is flushed. */
function sendConnack(client: Client, returnCode: number, done: () => void): void {
  const conn = client.conn as unknown as NodeJS.WritableStream & { destroyed?: boolean; writable?: boolean };
  if (conn.destroyed === true || conn.writable === false) {
    done();
    return;
  }
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    done();
  };
  try {
    conn.write(mqttPacket.generate({ cmd: 'connack', returnCode, sessionPresent: false }), () => once());
  } catch {
    once();
    return;
  }
  // A peer that does not read must not hold the socket open: give up waiting for the flush after a moment.
  setTimeout(once, 1_000).unref();
}
