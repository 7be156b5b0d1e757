/**
 * MQTT authentication and authorisation with the device registry: CONNECT username = device id, password = its
 * secret (or human-chosen password); per-device ACLs on PUBLISH and SUBSCRIBE. Clients without a username are
 * refused unless anonymous access is switched on (labs, benchmarks), in which case they are unrestricted.
 * Denials are counted, and logged at most once per client per minute so a misbehaving device cannot flood the log.
 */
import type { Logger } from 'pino';
import { LogThrottle } from '../../shared/log-throttle.js';
import type { TopicMatch } from '../ingest/topics.js';
import type { DeviceRegistry, RevokedListener } from './device-registry.js';
import { AnonymousAcl } from './anonymous-acl.js';

/** MQTT 3.1.1 CONNACK return codes (MQTT-3.2.2.3): 4 bad user name or password, 5 not authorized. */
export type ConnectOutcome = { ok: true; deviceId: string | null } | { ok: false; returnCode: 4 | 5; reason: string };

/** What the broker asks; `deviceId` null is an anonymous client (only when anonymous access is on). */
export interface BrokerAccess {
  readonly allowAnonymous: boolean;
  authenticate(username: string | undefined, password: Buffer | undefined): ConnectOutcome | Promise<ConnectOutcome>;
  /** `match`: the topic as telemetry (asset, sensor), or undefined when it is not a telemetry topic. */
  mayPublish(deviceId: string | null, clientId: string, topic: string, match: TopicMatch | undefined): boolean;
  maySubscribe(deviceId: string | null, clientId: string, filter: string): boolean;
  /** Client ids belong to devices (their own id or prefix); anonymous clients may use only ids no device owns. */
  mayUseClientId(deviceId: string | null, clientId: string): boolean;
  onRevoked(listener: RevokedListener): void;
}

export class MqttAccess implements BrokerAccess {
  readonly allowAnonymous: boolean;
  readonly #devices: DeviceRegistry;
  readonly #log: Logger;
  readonly #throttle: LogThrottle;
  /** What anonymous clients may do; null: everything (mqtt.anonymousAllow unset). */
  readonly #anonymous: AnonymousAcl | null;

  constructor(deps: { devices: DeviceRegistry; allowAnonymous: boolean; anonymousAllow?: readonly string[] | null; log: Logger; clock: () => number }) {
    this.#devices = deps.devices;
    this.allowAnonymous = deps.allowAnonymous;
    this.#anonymous = deps.anonymousAllow ? new AnonymousAcl(deps.anonymousAllow) : null;
    this.#log = deps.log;
    this.#throttle = new LogThrottle({ intervalMs: 60_000, clock: deps.clock });
  }

  authenticate(username: string | undefined, password: Buffer | undefined): ConnectOutcome | Promise<ConnectOutcome> {
    const metrics = this.#devices.metrics;
    if (username === undefined || username === '') {
      if (this.allowAnonymous) return { ok: true, deviceId: null };
      metrics.authFailures.inc({ transport: 'mqtt', reason: 'anonymous' });
      return { ok: false, returnCode: 5, reason: 'anonymous access is off' };
    }
    if (password === undefined || password.length === 0) {
      metrics.authFailures.inc({ transport: 'mqtt', reason: 'no-password' });
      return { ok: false, returnCode: 4, reason: 'no password' };
    }
    const result = this.#devices.verify(username, password);
    const settle = (device: { id: string } | undefined): ConnectOutcome => {
      if (device) return { ok: true, deviceId: device.id };
      metrics.authFailures.inc({ transport: 'mqtt', reason: 'bad-credentials' });
      return { ok: false, returnCode: 4, reason: 'bad user name or password' };
    };
    return result instanceof Promise ? result.then(settle) : settle(result);
  }

  mayPublish(deviceId: string | null, clientId: string, topic: string, match: TopicMatch | undefined): boolean {
    if (deviceId === null) return this.allowAnonymous && (this.#anonymous?.mayPublish(topic) ?? true);
    const device = this.#devices.get(deviceId);
    if (device !== undefined && device.acl.mayPublish(topic, match)) return true;
    this.#denied(deviceId, clientId, 'publish', topic, device === undefined);
    return false;
  }

  maySubscribe(deviceId: string | null, clientId: string, filter: string): boolean {
    if (deviceId === null) return this.allowAnonymous && (this.#anonymous?.maySubscribe(filter) ?? true);
    const device = this.#devices.get(deviceId);
    if (device !== undefined && device.acl.maySubscribe(filter)) return true;
    this.#denied(deviceId, clientId, 'subscribe', filter, device === undefined);
    return false;
  }

  mayUseClientId(deviceId: string | null, clientId: string): boolean {
    return this.#devices.clientIdOwner(clientId) === (deviceId ?? undefined);
  }

  onRevoked(listener: RevokedListener): void {
    this.#devices.onRevoked(listener);
  }

  #denied(deviceId: string, clientId: string, action: 'publish' | 'subscribe', topic: string, removed: boolean): void {
    this.#devices.metrics.aclDenied.inc({ transport: 'mqtt', action });
    const suppressed = this.#throttle.admit(`${clientId}\u0000${action}`);
    if (suppressed >= 0) {
      this.#log.warn({ deviceId, clientId, action, topic: topic.slice(0, 256), removed, suppressed }, 'mqtt access denied');
    }
  }
}
