/**
 * Outbox schema migrations, applied in order inside one transaction each; PRAGMA user_version records the
 * last applied one. Append only: never edit a migration that has shipped.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'readings, dead letters, meta',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      -- seq is assigned by the gateway (never reused, see meta.seq_hwm); with gatewayId and meta.epoch it names a reading.
      CREATE TABLE readings (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        asset TEXT NOT NULL,
        sensor TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT,
        quality,
        source TEXT NOT NULL,
        client_id TEXT,
        packet_id INTEGER,
        digest INTEGER
      );
      CREATE INDEX readings_asset_sensor_ts ON readings (asset, sensor, ts);
      -- Finds an MQTT QoS 1 redelivery of a message that was stored but whose PUBACK was lost.
      CREATE INDEX readings_redelivery ON readings (client_id, packet_id) WHERE packet_id IS NOT NULL;
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        topic TEXT NOT NULL,
        client_id TEXT,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        payload BLOB NOT NULL,
        payload_size INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_reason ON dead_letters (reason, id);
    `,
  },
  {
    version: 2,
    description: 'sync state, priority, alerts, scores, gaps',
    sql: `
      -- 0 = pending, 1 = accepted by the cloud (or a duplicate there), 2 = refused by the cloud (kept, see dead_letters).
      ALTER TABLE readings ADD COLUMN synced INTEGER NOT NULL DEFAULT 0;
      -- 1 = goes ahead of the backlog (anomalous score); set by scoring.
      ALTER TABLE readings ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX readings_pending ON readings (seq) WHERE synced = 0;
      CREATE INDEX readings_pending_priority ON readings (seq) WHERE synced = 0 AND priority = 1;
      CREATE TABLE scores (
        seq INTEGER NOT NULL,
        model TEXT NOT NULL,
        version TEXT NOT NULL,
        output TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (seq, model, output)
      ) WITHOUT ROWID;
      -- A raise and its clear share the alert id.
      CREATE TABLE alerts (
        id TEXT NOT NULL,
        asset TEXT NOT NULL,
        model TEXT NOT NULL,
        version TEXT NOT NULL,
        output TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        value REAL NOT NULL,
        threshold REAL NOT NULL,
        ts INTEGER NOT NULL,
        synced INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (id, state)
      );
      CREATE INDEX alerts_pending ON alerts (ts) WHERE synced = 0;
      -- Readings the cloud will never get (dropped or folded under the disk budget), accounted for exactly.
      CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        from_ts INTEGER NOT NULL,
        to_ts INTEGER NOT NULL,
        count INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        synced INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 3,
    description: 'HTTP ingest events (origin API) and Idempotency-Key records',
    sql: `
      -- One row per reading posted over POST /api/v1/data/ingest; seq is the first reading's seq, count how many it made.
      CREATE TABLE http_events (
        seq INTEGER PRIMARY KEY,
        count INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        sensor_id TEXT NOT NULL,
        device_id TEXT,
        metadata TEXT
      );
      -- draft-ietf-httpapi-idempotency-key-header: the first response per (device, key), answered again for repeats.
      CREATE TABLE idempotency_keys (
        device_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (device_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    `,
  },
];
