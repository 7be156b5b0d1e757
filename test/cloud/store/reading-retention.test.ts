/** Cloud reading retention on a real SQLite store: chunked, off by default, and the demo's cloud has it on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { cloudConfigSchema } from '../../../cloud/config/config.js';
import { createStore } from '../../../cloud/store/open-store.js';
import { ReadingRetention } from '../../../cloud/store/reading-retention.js';
import type { ReadingRow } from '../../../cloud/store/store.js';

const log = pino({ level: 'silent' });

t.test('a pass deletes every reading older than the limit, chunk by chunk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smartmaint-retention-'));
  const store = createStore(cloudConfigSchema.parse({ storage: { dataDir: dir } }).storage, log);
  await store.open();
  t.teardown(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const rows: ReadingRow[] = Array.from({ length: 1_000 }, (_, i) => ({
    seq: i, ts: i * 1_000, receivedAt: i * 1_000, asset: 'a', sensor: 's', value: i, unit: null, quality: null, scores: null, historical: false,
  }));
  await store.ingest({ gatewayId: 'gw', epoch: 'e', batchId: 'b', readings: rows, alerts: [], gaps: [], models: [], now: 0 });
  const now = 1_000_000; // readings are 0 … 999 s old at "now"
  const retention = new ReadingRetention({ store, log, clock: () => now, config: { readingsMaxAgeMs: 400_000, pruneIntervalMs: 60_000, pruneChunkRows: 100 } });
  t.equal(await retention.prune(), 600, 'readings older than 400 s, over six chunks');
  t.equal((await store.queryReadings({ limit: 10 })).rows[0]!.seq, 600, 'the oldest kept is 400 s old');
  t.equal(await retention.prune(), 0);
  await retention.stop();
});

t.test('off unless configured', async (t) => {
  t.equal(cloudConfigSchema.parse({}).retention.readingsMaxAgeMs, null);
});
