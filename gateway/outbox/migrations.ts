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
];
