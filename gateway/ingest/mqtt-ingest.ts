/**
 * Turns MQTT PUBLISH packets into outbox entries. Installed as Aedes' `authorizePublish` hook because that is
 * the one hook Aedes awaits before it routes a message and before it writes the PUBACK (aedes
 * lib/handlers/publish.js: authorizePublish → enqueuePublish → PubAck). Holding the callback until the commit
 * makes "PUBACK ⇒ on disk" true for QoS 1. QoS 0 is let through at once and committed within the flush interval.
 */
import type { Logger } from 'pino';
import { LogThrottle } from '../../shared/log-throttle.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { OutboxEntry } from '../outbox/outbox.js';
import { decodeTelemetry, type DecodeLimits } from './decode.js';
import type { IngestPipeline } from './pipeline.js';
import type { TopicMatch, TopicMatcher } from './topics.js';

export interface PublishLike {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  messageId?: number | undefined;
  dup?: boolean | undefined;
  /** Cleared for telemetry that is dead-lettered, so the broker does not retain it. */
  retain?: boolean | undefined;
}

export interface MqttIngestConfig extends DecodeLimits {
  deadLetterPayloadCap: number;
  dedupWindowMs: number;
}

/** FNV-1a (32-bit) of topic and payload: cheap, and only compared together with client id and packet id. */
export function messageDigest(topic: string, payload: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    h ^= topic.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  for (let i = 0; i < payload.length; i++) {
    h ^= payload[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class MqttTelemetryIngest {
  readonly #matcher: TopicMatcher;
  readonly #pipeline: IngestPipeline;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #config: MqttIngestConfig;
  readonly #throttle: LogThrottle;
  readonly #telemetry;
  readonly #other;

  constructor(deps: {
    matcher: TopicMatcher;
    pipeline: IngestPipeline;
    metrics: GatewayMetrics;
    log: Logger;
    clock: () => number;
    config: MqttIngestConfig;
  }) {
    this.#matcher = deps.matcher;
    this.#pipeline = deps.pipeline;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#throttle = new LogThrottle({ intervalMs: 60_000, clock: deps.clock });
    // Bound label children: avoids a label lookup per message on the hot path.
    this.#telemetry = deps.metrics.mqttMessages.labels('telemetry');
    this.#other = deps.metrics.mqttMessages.labels('other');
  }

  /** The topic as telemetry (asset, sensor), or undefined: computed once per PUBLISH by the broker, for ACL and ingest. */
  match(topic: string): TopicMatch | undefined {
    return this.#matcher.match(topic);
  }

  /**
   * @param connectedAt when this client's current connection was accepted (for the redelivery window)
   * @param done called with null to let the publish through (and, for QoS 1, to PUBACK it), or an error to refuse it
   */
  handle(clientId: string, connectedAt: number, packet: PublishLike, match: TopicMatch | undefined, done: (err: Error | null) => void): void {
    if (match === undefined) {
      // Not telemetry: routed like any broker would, counted, not stored.
      this.#other.inc();
      done(null);
      return;
    }
    this.#telemetry.inc();
    const receivedAt = this.#clock();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const durable = packet.qos > 0;
    let packetId: number | null = null;
    let digest: number | null = null;
    let redelivery: OutboxEntry['redelivery'];
    if (durable && packet.messageId !== undefined) {
      packetId = packet.messageId;
      digest = messageDigest(packet.topic, payload);
      // MQTT-4.3.2: after a reconnect the sender redelivers unacknowledged QoS 1 messages with DUP=1
      // (MQTT-3.3.1-1). If the gateway had committed one but the PUBACK was lost (crash, dropped link), it is
      // acknowledged without being stored twice. Only DUP=1 qualifies, and only against an earlier connection:
      // a packet id acknowledged on this connection is free for reuse (MQTT-2.3.1-3), and senders with one
      // message in flight reuse the same id for identical values all the time. The writer looks the original up
      // inside the commit, so an original still queued ahead of its redelivery is found too.
      if (packet.dup === true) redelivery = { sinceMs: connectedAt - this.#config.dedupWindowMs, beforeMs: connectedAt };
    }
    const decoded = decodeTelemetry(match, payload, receivedAt, this.#config);
    let entry: OutboxEntry;
    if (decoded.ok) {
      this.#metrics.readingsReceived.inc(decoded.readings.length);
      entry = { source: 'mqtt', clientId, packetId, digest, readings: decoded.readings, deadLetter: null, ...(redelivery ? { redelivery } : {}) };
    } else {
      this.#metrics.readingsRejected.inc({ reason: decoded.reason });
      // Telemetry refused as a reading is not kept as the topic's retained message either (the broker stores
      // retained messages after this hook), so oversized payloads cannot pile up in memory that way.
      packet.retain = false;
      const cap = this.#config.deadLetterPayloadCap;
      entry = {
        source: 'mqtt', clientId, packetId: null, digest: null, readings: null,
        deadLetter: {
          receivedAt, topic: packet.topic, reason: decoded.reason, detail: decoded.detail,
          payload: payload.length > cap ? Buffer.from(payload.subarray(0, cap)) : Buffer.from(payload),
          payloadSize: payload.length,
        },
      };
      const suppressed = this.#throttle.admit(`${clientId}\u0000${decoded.reason}`);
      if (suppressed >= 0) {
        this.#log.warn({ clientId, topic: packet.topic, reason: decoded.reason, detail: decoded.detail, suppressed },
          'telemetry dead-lettered');
      }
    }
    if (durable) {
      this.#pipeline.submit(entry, done);
    } else {
      this.#pipeline.submit(entry);
      this.#pipeline.whenResumed(() => done(null));
    }
  }
}
