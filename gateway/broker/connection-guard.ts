/**
 * Hostile-input checks in front of Aedes that Aedes 1.2 does not make itself:
 * - CONNECT: a zero-length client id with CleanSession=0 is refused with CONNACK 0x02 (MQTT-3.1.3-8; Aedes would
 *   invent an id); a client id holding U+0000 or bytes that are not UTF-8 is refused with 0x02 (MQTT-1.5.3-1/2).
 * - Authentication-failure throttling by remote address and by user name (../sign-in-throttle.ts): a throttled
 *   CONNECT is refused (CONNACK 0x05) without its credentials being checked, so passwords cannot be guessed at
 *   wire speed. Never by client id: anyone could then lock a named device out with a wrong password.
 * - Topic names and filters holding U+0000 or non-UTF-8 bytes close the connection (MQTT-1.5.3-1/2).
 *
 * mqtt-packet decodes strings with Buffer#toString('utf8'), which turns malformed sequences into U+FFFD; so U+FFFD
 * (a character no device has a reason to put in a topic or client id) is taken as "was not UTF-8".
 */
import mqttPacket from 'mqtt-packet';
import type { Client, ConnectPacket } from 'aedes';
import { SignInThrottle, type SignInThrottleConfig } from '../auth/sign-in-throttle.js';

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

export type ConnectRefusal = 'empty-client-id' | 'invalid-client-id' | 'auth-throttled';

export interface ConnectionGuardDeps {
  config: SignInThrottleConfig;
  clock: () => number;
  /** The remote address of a connection ('unknown' when the transport has none). */
  addressOf: (client: Client) => string;
  onRefused: (reason: ConnectRefusal, client: Client, detail: { clientId: string; address: string }) => void;
}

export class ConnectionGuard {
  readonly throttle: SignInThrottle;
  readonly #addressOf: (client: Client) => string;
  readonly #onRefused: ConnectionGuardDeps['onRefused'];
  /** The user name each connection presented, for counting its failure or success. */
  readonly #users = new WeakMap<Client, string>();

  constructor(deps: ConnectionGuardDeps) {
    this.throttle = new SignInThrottle(deps.config, deps.clock);
    this.#addressOf = deps.addressOf;
    this.#onRefused = deps.onRefused;
  }

  /** Aedes' preConnect hook. Refusals send their CONNACK first, then let Aedes close the connection. */
  preConnect(client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void): void {
    const clientId = packet.clientId ?? '';
    const address = this.#addressOf(client);
    const user = packet.username;
    if (user !== undefined) this.#users.set(client, user);
    let refusal: { reason: ConnectRefusal; returnCode: 2 | 5 } | undefined;
    if (clientId.length === 0 && packet.clean === false) refusal = { reason: 'empty-client-id', returnCode: 2 };
    else if (!isValidMqttString(clientId)) refusal = { reason: 'invalid-client-id', returnCode: 2 };
    else if (this.throttle.refusedFor(address, user) > 0) {
      this.throttle.refused(address, user);
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
    this.throttle.failed(this.#addressOf(client), this.#users.get(client));
  }

  /** Call when a client authenticated. */
  authSucceeded(client: Client): void {
    this.throttle.succeeded(this.#addressOf(client), this.#users.get(client));
  }

  /** Topic-name / filter check for PUBLISH and SUBSCRIBE (MQTT-1.5.3-1/2). */
  static topicError(topic: string): Error | undefined {
    return isValidMqttString(topic) ? undefined : new Error('topic is not valid UTF-8 or contains U+0000');
  }
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
