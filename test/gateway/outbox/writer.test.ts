/**
 * The outbox's writer thread: every field of an entry survives the packed crossing, seqs are assigned in order
 * and never reused after a failed commit, HTTP records commit with their readings, calls are answered in order,
 * and a closed or failed writer refuses work with StorageError instead of hanging.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Outbox, type OutboxEntry } from '../../../gateway/outbox/outbox.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

async function openOutbox(t: Test, durability: 'power-loss' | 'process-crash' = 'power-loss'): Promise<{ outbox: Outbox; dir: string }> {
  const dir = tempDir();
  const outbox = new Outbox({ dataDir: dir, durability, log: pino({ level: 'silent' }) });
  await outbox.open();
  t.teardown(async () => { await outbox.close(); removeDir(dir); });
  return { outbox, dir };
}

t.test('every field crosses to the writer and back', async (t) => {
  const { outbox, dir } = await openOutbox(t);
  const payload = Buffer.from([0, 1, 2, 0xff, 0xfe]);
  const entries: OutboxEntry[] = [
    { source: 'mqtt', clientId: 'plc-1', packetId: 7, digest: 0xdeadbeef, deadLetter: null, readings: [
      { ts: 1_764_000_000_000, receivedAt: 1_764_000_000_005, asset: 'pump-1', sensor: 'temp', value: -21.5, unit: 'C', quality: 'good' },
      { ts: 1_764_000_000_001, receivedAt: 1_764_000_000_006, asset: 'pump-1', sensor: 'vib', value: 0.25, unit: null, quality: 0.97 },
    ] },
    { source: 'mqtt', clientId: 'plc-1', packetId: null, digest: null, readings: null, deadLetter: {
      receivedAt: 1_764_000_000_007, topic: 'telemetry/pump-1/temp', reason: 'invalid-json', detail: 'unexpected end', payload, payloadSize: 99 } },
    { source: 'http', clientId: null, packetId: null, digest: null, deadLetter: null, readings: [
      { ts: 1_764_000_000_002, receivedAt: 1_764_000_000_008, asset: 'ünïcødé', sensor: 'x', value: 0, unit: 'm³', quality: null },
    ], http: { deviceId: 'box', events: [{ eventId: 'e-1', correlationId: 'c-1', sensorId: 'ünïcødé', readings: 1, metadata: '{"a":1}' }],
      idempotency: { key: 'k-1', requestHash: 'h', response: '{"ok":true}', createdAt: 1_764_000_000_009 } } },
  ];
  const result = await outbox.write(entries);
  t.same(result, { readings: 3, deadLetters: 1 });
  t.same(entries.map((e) => e.firstSeq), [1, undefined, 3], 'firstSeq set on entries with readings');
  t.same(outbox.queryReadings({ limit: 10 }), [
    { seq: 1, ts: 1_764_000_000_000, receivedAt: 1_764_000_000_005, asset: 'pump-1', sensor: 'temp', value: -21.5, unit: 'C', quality: 'good', source: 'mqtt', clientId: 'plc-1' },
    { seq: 2, ts: 1_764_000_000_001, receivedAt: 1_764_000_000_006, asset: 'pump-1', sensor: 'vib', value: 0.25, quality: 0.97, source: 'mqtt', clientId: 'plc-1' },
    { seq: 3, ts: 1_764_000_000_002, receivedAt: 1_764_000_000_008, asset: 'ünïcødé', sensor: 'x', value: 0, unit: 'm³', source: 'http' },
  ]);
  const [dl] = outbox.queryDeadLetters({ limit: 10 });
  t.match(dl, { source: 'mqtt', topic: 'telemetry/pump-1/temp', clientId: 'plc-1', reason: 'invalid-json', payloadSize: 99, payloadTruncated: true });
  t.same(Buffer.from(dl!.payload, 'base64'), payload, 'binary payload intact');
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.teardown(() => db.close());
  t.same(db.prepare('SELECT packet_id, digest FROM readings WHERE seq = 1').get(), { packet_id: 7, digest: 0xdeadbeef });
  t.same(db.prepare('SELECT seq, count, event_id, device_id, metadata FROM http_events').all(),
    [{ seq: 3, count: 1, event_id: 'e-1', device_id: 'box', metadata: '{"a":1}' }], 'the HTTP event names its reading');
  t.same(db.prepare('SELECT device_id, key, response FROM idempotency_keys').all(), [{ device_id: 'box', key: 'k-1', response: '{"ok":true}' }]);
  t.equal(outbox.stats().lastSeq, 3);
});

t.test('a failed commit stores nothing and uses no seq', async (t) => {
  const { outbox, dir } = await openOutbox(t);
  const reading = (value: number): OutboxEntry => ({ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
    readings: [{ ts: 1, receivedAt: 1, asset: 'a', sensor: 's', value, unit: null, quality: null }] });
  await outbox.write([reading(1)]);
  // A trigger of another writer's making refuses the next insert: the whole batch rolls back.
  const db = new Database(join(dir, 'outbox.db'));
  t.teardown(() => db.close());
  db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON readings WHEN NEW.value = 666 BEGIN SELECT RAISE(ABORT, 'refused'); END`);
  await t.rejects(outbox.write([reading(2), reading(666)]), { code: 'SMARTMAINT_STORAGE' });
  db.exec('DROP TRIGGER refuse');
  await outbox.write([reading(3)]);
  t.same(outbox.queryReadings({ limit: 10 }).map((r) => [r.seq, r.value]), [[1, 1], [2, 3]], 'the next commit takes the next seq');
});

t.test('calls are answered in the order they were made', async (t) => {
  const { outbox } = await openOutbox(t, 'process-crash');
  const order: number[] = [];
  const writes = Array.from({ length: 50 }, (_, i) => outbox.write([{ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
    readings: [{ ts: i, receivedAt: i, asset: 'a', sensor: 's', value: i, unit: null, quality: null }] }]).then(() => order.push(i)));
  await Promise.all(writes);
  t.same(order, Array.from({ length: 50 }, (_, i) => i));
  t.same(outbox.queryReadings({ limit: 100 }).map((r) => r.value), order, 'and committed in that order');
});

t.test('a closed outbox refuses writes with StorageError', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const outbox = new Outbox({ dataDir: dir, durability: 'power-loss', log: pino({ level: 'silent' }) });
  await outbox.open();
  t.ok(outbox.isOpen);
  await outbox.close();
  t.notOk(outbox.isOpen);
  await t.rejects(outbox.write([]), { code: 'SMARTMAINT_STORAGE' });
  await t.rejects(outbox.probeWritable(), { code: 'SMARTMAINT_STORAGE' });
});

t.test('the writer connection fsyncs every commit under power-loss durability, not under process-crash', async (t) => {
  for (const [durability, synchronous] of [['power-loss', 2], ['process-crash', 1]] as const) {
    const { outbox } = await openOutbox(t, durability);
    t.match(await outbox.writer.settings(), { synchronous, walAutocheckpoint: 0, checkpoints: true }, durability);
  }
});

t.test('a writer thread that dies is restarted; nothing acknowledged is lost, no seq is reused', async (t) => {
  const { outbox } = await openOutbox(t);
  const reading = (value: number): OutboxEntry => ({ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
    readings: [{ ts: 1, receivedAt: 1, asset: 'a', sensor: 's', value, unit: null, quality: null }] });
  await outbox.write([reading(1)]);
  const inFlight = outbox.write([reading(2)]);
  await outbox.writer.kill();
  const outcome = await inFlight.then(() => 'stored', () => 'refused');
  t.notOk(outbox.isOpen, 'writes are refused while the writer is down');
  await t.rejects(outbox.write([reading(3)]), { code: 'SMARTMAINT_STORAGE' });
  const deadline = Date.now() + 5_000;
  while (!outbox.isOpen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.ok(outbox.isOpen, 'the writer is back');
  await outbox.write([reading(4)]);
  const rows = outbox.queryReadings({ limit: 10 }).map((r) => [r.seq, r.value]);
  // The write in flight at the kill was either committed before it (then told or not) or not at all.
  t.same(rows.filter(([, v]) => v !== 2), [[1, 1], rows.find(([, v]) => v === 4)], 'the rest stored once each');
  if (outcome === 'stored') t.ok(rows.some(([, v]) => v === 2), 'what was answered "stored" is stored');
  const seqs = rows.map(([s]) => s as number);
  t.same(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'seqs unique and increasing');
});
