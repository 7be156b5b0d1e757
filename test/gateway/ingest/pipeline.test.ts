import pino from 'pino';
import t from 'tap';
import { GatewayMetrics } from '../../../gateway/metrics/metrics.js';
import { IngestPipeline } from '../../../gateway/ingest/pipeline.js';
import { Outbox, type OutboxEntry } from '../../../gateway/outbox/outbox.js';
import { connect, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

t.test('commit listeners get every commit until they unsubscribe', async (t) => {
  const dir = tempDir();
  const outbox = new Outbox({ dataDir: dir, durability: 'process-crash', log: pino({ level: 'silent' }) });
  await outbox.open();
  const pipeline = new IngestPipeline({ outbox, metrics: new GatewayMetrics(), log: pino({ level: 'silent' }),
    config: { maxBatchReadings: 100, flushIntervalMs: 5, maxQueuedReadings: 100_000, maxQueuedBytes: 32 << 20 }, clock: Date.now });
  t.teardown(async () => { await pipeline.stop(); await outbox.close(); removeDir(dir); });
  const entry = (): OutboxEntry => ({ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
    readings: [{ ts: Date.now(), receivedAt: Date.now(), asset: 'a', sensor: 's', value: 1, unit: null, quality: null }] });
  const seen: number[] = [];
  const other: number[] = [];
  const unsubscribe = pipeline.onCommit((entries) => seen.push(entries.length));
  pipeline.onCommit((entries) => other.push(entries.length));
  pipeline.submit(entry());
  await pipeline.flush();
  t.same(seen, [1], 'told of the commit');
  unsubscribe();
  unsubscribe(); // twice is harmless
  pipeline.submit(entry());
  await pipeline.flush();
  t.same(seen, [1], 'not told after unsubscribing');
  t.same(other, [1, 1], 'the other listener still is');
});

t.test('a gateway stops while its clients keep publishing', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const gw = await startGateway(dir);
  const client = await connect(gw.mqttPort, { clientId: 'busy', reconnectPeriod: 0 });
  client.on('error', () => {});
  let publishing = true;
  const loop = (async () => {
    for (let i = 0; publishing && client.connected; i++) {
      client.publish('telemetry/busy/s', String(i), { qos: i % 2 === 0 ? 0 : 1 }, () => {});
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  const stopped = await Promise.race([gw.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 15_000))]);
  publishing = false;
  await loop;
  client.end(true);
  t.equal(stopped, 'stopped', 'stop() returns under continuous load');
});
