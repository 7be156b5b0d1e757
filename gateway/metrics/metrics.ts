/**
 * The gateway's Prometheus metrics, on a Registry of its own (no global state: two gateways in one test
 * process do not share counters). Metric names are a public interface; see README "Metrics".
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry: Registry;
  readonly readingsReceived: Counter;
  readonly readingsStored: Counter;
  readonly readingsRejected: Counter<'reason'>;
  readonly readingsDeduplicated: Counter;
  readonly readingsLost: Counter<'reason'>;
  readonly mqttMessages: Counter<'kind'>;
  readonly mqttClients: Gauge;
  readonly mqttConnectionsRefused: Counter<'reason'>;
  readonly mqttQuotaRefusals: Counter<'quota'>;
  readonly outboxPending: Gauge;
  readonly outboxBytes: Gauge;
  readonly commitSeconds: Histogram;
  readonly commitRows: Histogram;
  readonly syncReadings: Counter;
  readonly syncDuplicates: Counter;
  readonly syncRefused: Counter;
  readonly syncBatches: Counter<'result'>;
  readonly syncBytes: Counter;
  readonly syncState: Gauge<'state'>;
  readonly syncLastSuccess: Gauge;
  readonly syncInFlight: Gauge;
  readonly ingestPaused: Gauge;
  readonly ingestPausedSeconds: Counter;
  readonly oldestPendingAge: Gauge;
  readonly heartbeats: Counter<'result'>;

  constructor(options: { prefix?: string; defaultMetrics?: boolean } = {}) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];
    this.readingsReceived = new Counter({ name: 'smartmaint_readings_received_total', help: 'Readings decoded from telemetry messages (MQTT and HTTP).', registers });
    this.readingsStored = new Counter({ name: 'smartmaint_readings_stored_total', help: 'Readings committed to the outbox.', registers });
    this.readingsRejected = new Counter({ name: 'smartmaint_readings_rejected_total', help: 'Telemetry messages dead-lettered, by reason.', labelNames: ['reason'], registers });
    this.readingsDeduplicated = new Counter({ name: 'smartmaint_readings_deduplicated_total', help: 'MQTT QoS 1 redeliveries of messages already stored, acknowledged without storing again.', registers });
    this.readingsLost = new Counter({ name: 'smartmaint_readings_lost_total', help: 'Readings not kept, by reason: QoS 0 during a storage failure or refused under reject-new, dropped or folded under the disk budget (each accounted for in a gap record); QoS 1 senders are never acknowledged for these.', labelNames: ['reason'], registers });
    this.mqttMessages = new Counter({ name: 'smartmaint_mqtt_messages_total', help: 'MQTT PUBLISH packets received from clients, by kind.', labelNames: ['kind'], registers });
    this.mqttClients = new Gauge({ name: 'smartmaint_mqtt_clients', help: 'Connected MQTT clients.', registers });
    this.mqttConnectionsRefused = new Counter({ name: 'smartmaint_mqtt_connections_refused_total', help: 'MQTT connections closed by the gateway, by reason.', labelNames: ['reason'], registers });
    this.mqttQuotaRefusals = new Counter({ name: 'smartmaint_mqtt_quota_refusals_total', help: 'Retained messages not kept, subscriptions refused and sessions refused under the per-device quotas (mqtt.quotas), by quota.', labelNames: ['quota'], registers });
    this.outboxPending = new Gauge({ name: 'smartmaint_outbox_pending_readings', help: 'Readings in the outbox not yet synced to the cloud.', registers });
    this.outboxBytes = new Gauge({ name: 'smartmaint_outbox_bytes', help: 'Outbox database size on disk (database + WAL).', registers });
    this.commitSeconds = new Histogram({ name: 'smartmaint_outbox_commit_seconds', help: 'Duration of one group commit, from the hand-over to the outbox writer thread until committed.', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers });
    this.ingestPaused = new Gauge({ name: 'smartmaint_ingest_paused', help: '1 while ingest is paused because too many readings wait for the outbox writer (QoS 0 publishes held, so their sockets are not read; HTTP ingest 503).', registers });
    this.ingestPausedSeconds = new Counter({ name: 'smartmaint_ingest_paused_seconds_total', help: 'Time ingest spent paused for the outbox writer.', registers });
    this.commitRows = new Histogram({ name: 'smartmaint_outbox_commit_rows', help: 'Rows written per group commit.', buckets: [1, 10, 50, 100, 500, 1000, 5000, 20000], registers });
    this.syncReadings = new Counter({ name: 'smartmaint_sync_readings_total', help: 'Readings the cloud confirmed (accepted or already had).', registers });
    this.syncDuplicates = new Counter({ name: 'smartmaint_sync_duplicates_total', help: 'Readings the cloud reported as duplicates (already stored).', registers });
    this.syncRefused = new Counter({ name: 'smartmaint_sync_readings_refused_total', help: 'Readings the cloud refused; kept locally as dead letters with the reason.', registers });
    this.syncBatches = new Counter({ name: 'smartmaint_sync_batches_total', help: 'Batch requests by result (ok, retry, auth, split, rekey).', labelNames: ['result'], registers });
    this.syncBytes = new Counter({ name: 'smartmaint_sync_bytes_total', help: 'Request body bytes sent to the cloud (gzip).', registers });
    this.syncState = new Gauge({ name: 'smartmaint_sync_state', help: 'Uplink state from the last contact with the cloud (batch or heartbeat): 1 for the current one (standalone, never-connected, unreachable, key-rejected, backlog, synced).', labelNames: ['state'], registers });
    this.syncLastSuccess = new Gauge({ name: 'smartmaint_sync_last_success_timestamp_seconds', help: 'When the cloud last accepted a batch.', registers });
    this.syncInFlight = new Gauge({ name: 'smartmaint_sync_inflight_batches', help: 'Batches awaiting a cloud answer.', registers });
    this.oldestPendingAge = new Gauge({ name: 'smartmaint_outbox_oldest_pending_age_seconds', help: 'Age of the oldest reading not yet synced (0 when none).', registers });
    this.heartbeats = new Counter({ name: 'smartmaint_heartbeats_total', help: 'Heartbeats sent to the cloud, by result.', labelNames: ['result'], registers });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  }
}
