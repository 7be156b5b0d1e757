/**
 * The storage contract every CloudStore backend must pass (run by store/sqlite.test.ts and
 * store/postgres.test.ts). Not a test file itself.
 */
import type { Test } from 'tap';
import type { CloudStore, IngestWrite, ReadingRow } from '../../cloud/store/store.js';
import { generateKey } from '../../cloud/auth/keys.js';

function row(seq: number, over: Partial<ReadingRow> = {}): ReadingRow {
  return {
    seq,
    ts: 1_000_000 + seq * 10,
    receivedAt: 1_000_001 + seq * 10,
    asset: seq % 2 === 0 ? 'pump-1' : 'pump-2',
    sensor: 'temp',
    value: seq * 1.5,
    unit: null,
    quality: null,
    scores: null,
    historical: false,
    ...over,
  };
}

function write(gatewayId: string, seqs: number[], over: Partial<IngestWrite> = {}): IngestWrite {
  return { gatewayId, epoch: 'e1', batchId: 'b', readings: seqs.map((s) => row(s)), alerts: [], gaps: [], models: [], now: 5_000, ...over };
}

const seqRange = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

export function storeContract(t: Test, open: (t: Test) => Promise<CloudStore>): void {
  t.test('a batch is stored once; repeats and overlaps count as duplicates', async (t) => {
    const store = await open(t);
    t.same(await store.ingest(write('gw1', seqRange(0, 100))), { accepted: 100, duplicates: 0 });
    t.same(await store.ingest(write('gw1', seqRange(0, 100))), { accepted: 0, duplicates: 100 });
    t.same(await store.ingest(write('gw1', seqRange(50, 150))), { accepted: 50, duplicates: 50 });
    // Same seq, other epoch or other gateway: different readings.
    t.same(await store.ingest(write('gw1', [1, 2], { epoch: 'e2' })), { accepted: 2, duplicates: 0 });
    t.same(await store.ingest(write('gw2', [1, 2])), { accepted: 2, duplicates: 0 });
    // A seq twice inside one batch is stored once.
    t.same(await store.ingest(write('gw3', [7, 7, 8])), { accepted: 2, duplicates: 1 });
    const page = await store.queryReadings({ gatewayId: 'gw1', limit: 1000 });
    t.equal(page.rows.length, 152);
    t.equal(page.last, null);
  });

  t.test('concurrent overlapping batches store every reading exactly once', async (t) => {
    const store = await open(t);
    const writes = Array.from({ length: 12 }, (_, i) => write('gwc', seqRange(i * 50, i * 50 + 200)));
    const results = await Promise.all(writes.map((w) => store.ingest(w)));
    const accepted = results.reduce((s, r) => s + r.accepted, 0);
    const dup = results.reduce((s, r) => s + r.duplicates, 0);
    t.equal(accepted, 11 * 50 + 200, 'accepted = distinct seqs');
    t.equal(accepted + dup, 12 * 200);
    const stored = await store.queryReadings({ gatewayId: 'gwc', limit: 5000 });
    t.equal(stored.rows.length, accepted);
    t.equal(new Set(stored.rows.map((r) => r.seq)).size, accepted);
  });

  t.test('readings round-trip with optional fields, filtered and keyset-paged in time order', async (t) => {
    const store = await open(t);
    const rows = seqRange(0, 25).map((s) => row(s));
    rows[3] = row(3, { unit: 'C', quality: JSON.stringify('good'), scores: JSON.stringify([{ model: 'm', version: '1', output: 'o', value: 0.5 }]), historical: true });
    rows[4] = row(4, { quality: JSON.stringify(192) });
    await store.ingest({ ...write('gw1', []), readings: rows });
    const all = await store.queryReadings({ limit: 100 });
    const r3 = all.rows.find((r) => r.seq === 3)!;
    t.same(r3, {
      gatewayId: 'gw1', epoch: 'e1', seq: 3, ts: 1_000_030, receivedAt: 1_000_031, asset: 'pump-2', sensor: 'temp', value: 4.5,
      unit: 'C', quality: 'good', scores: [{ model: 'm', version: '1', output: 'o', value: 0.5 }], historical: true,
    });
    t.equal(all.rows.find((r) => r.seq === 4)!.quality, 192);
    t.notOk('unit' in all.rows.find((r) => r.seq === 5)!, 'absent optional fields stay absent');
    // Paging: 10 + 10 + 5, contiguous, time-ordered.
    const seen: number[] = [];
    let after: { ts: number; id: number } | undefined;
    for (let i = 0; i < 5; i++) {
      const p = await store.queryReadings({ limit: 10, after });
      seen.push(...p.rows.map((r) => r.seq));
      if (p.last === null) break;
      after = p.last;
    }
    t.same(seen, seqRange(0, 25));
    const filtered = await store.queryReadings({ asset: 'pump-1', sensor: 'temp', from: 1_000_050, to: 1_000_100, limit: 100 });
    t.same(filtered.rows.map((r) => r.seq), [6, 8]);
    t.same((await store.queryReadings({ gatewayId: 'other', limit: 10 })).rows, []);
  });

  t.test('retention: old readings are pruned oldest first, in chunks', async (t) => {
    const store = await open(t);
    await store.ingest(write('gw1', seqRange(0, 25))); // ts 1_000_000 … 1_000_240
    t.equal(await store.pruneReadings(1_000_100, 4), 4, 'at most one chunk');
    t.equal(await store.pruneReadings(1_000_100, 100), 6, 'the rest older than the limit');
    t.equal(await store.pruneReadings(1_000_100, 100), 0, 'nothing left to prune');
    const left = await store.queryReadings({ limit: 100 });
    t.same(left.rows.map((r) => r.seq), seqRange(10, 25), 'newer readings kept, in order');
  });

  t.test('alerts, gaps and models are stored idempotently', async (t) => {
    const store = await open(t);
    const alert = { id: 'a1', asset: 'pump-1', model: 'rul', version: '2', output: 'rul', severity: 'critical' as const, state: 'raised' as const, value: 3, threshold: 10, ts: 2000 };
    const w = write('gw1', [1], {
      alerts: [alert, { ...alert, state: 'cleared', ts: 3000 }],
      gaps: [{ fromTs: 1, toTs: 2, count: 5, reason: 'drop-oldest' }],
      models: [{ model: 'rul', version: '2' }, { model: 'anomaly', version: '1' }],
    });
    await store.ingest(w);
    await store.ingest({ ...w, readings: [], now: 9_000 });
    const alerts = await store.queryAlerts({ limit: 10 });
    t.equal(alerts.rows.length, 2);
    t.same(alerts.rows[0], { gatewayId: 'gw1', ...alert });
    t.same((await store.queryAlerts({ state: 'cleared', limit: 10 })).rows.map((a) => a.ts), [3000]);
    await store.ingest(write('gw2', [], { models: [{ model: 'rul', version: '2' }], now: 7_000 }));
    const models = await store.listModels();
    t.same(models, [
      { model: 'anomaly', version: '1', gateways: 1, firstSeen: 5000, lastSeen: 9000 },
      { model: 'rul', version: '2', gateways: 2, firstSeen: 5000, lastSeen: 9000 },
    ]);
  });

  t.test('gateways: sync, heartbeat and auth failures', async (t) => {
    const store = await open(t);
    await store.ingest(write('gw1', [1], { batchId: 'b-9', now: 100 }));
    await store.recordHeartbeat('gw1', { ts: 150, version: '1.0', backlog: { pending: 3, oldestPendingAgeMs: 20 }, models: [{ model: 'm', version: '3' }], extra: 'kept' }, 200);
    await store.recordAuthFailure('nokey', 300); // no key for it: not recorded
    const k = generateKey('gateway', 'gw2', 1);
    await store.createKey(k.record, 2);
    await store.recordAuthFailure('gw2', 300);
    const gws = await store.listGateways();
    t.same(gws.map((g) => g.id), ['gw1', 'gw2']);
    t.match(gws[0], { id: 'gw1', lastSyncAt: 100, lastBatchId: 'b-9', lastHeartbeatAt: 200, heartbeat: { backlog: { pending: 3 }, extra: 'kept' } });
    t.match(gws[1], { id: 'gw2', lastAuthFailureAt: 300, lastHeartbeatAt: null });
    t.same((await store.listModels()).map((m) => `${m.model}@${m.version}`), ['m@3']);
  });

  t.test('keys: create, find, list, revoke, two live per gateway', async (t) => {
    const store = await open(t);
    const a = generateKey('gateway', 'gw1', 10);
    const b = generateKey('gateway', 'gw1', 11);
    const c = generateKey('gateway', 'gw1', 12);
    const op = generateKey('operator', null, 13, 'ops');
    await store.createKey(a.record, 2);
    await store.createKey(b.record, 2);
    await t.rejects(store.createKey(c.record, 2), { code: 'KEY_LIMIT', name: 'KeyLimitError' });
    await store.createKey(op.record, 2);
    t.same(await store.findKey(a.record.id), a.record);
    t.equal(await store.findKey('000000000000'), null);
    t.equal(await store.revokeKey(a.record.id, 99), true);
    t.equal(await store.revokeKey(a.record.id, 100), false, 'second revoke is a no-op');
    t.equal((await store.findKey(a.record.id))!.revokedAt, 99);
    await store.createKey(c.record, 2); // room again after the revocation
    t.same((await store.listKeys()).map((k) => k.id), [a.record.id, b.record.id, c.record.id, op.record.id]);
  });

  t.test('idempotency keys: claim, replay, mismatch, in flight, take-over, release, purge', async (t) => {
    const store = await open(t);
    t.same(await store.claimIdempotencyKey('gw1', 'k1', 'h1', 1000, 60_000), { kind: 'claimed' });
    t.same(await store.claimIdempotencyKey('gw1', 'k1', 'h1', 1001, 60_000), { kind: 'in-flight' });
    t.same(await store.claimIdempotencyKey('gw1', 'k1', 'h2', 1001, 60_000), { kind: 'mismatch' });
    t.same(await store.claimIdempotencyKey('gw2', 'k1', 'h2', 1001, 60_000), { kind: 'claimed' }, 'scoped per gateway');
    await store.completeIdempotencyKey('gw1', 'k1', 200, '{"accepted":1}');
    t.same(await store.claimIdempotencyKey('gw1', 'k1', 'h1', 1002, 60_000), { kind: 'replay', status: 200, body: '{"accepted":1}' });
    // A claim left behind by a crashed instance is taken over once stale.
    t.same(await store.claimIdempotencyKey('gw1', 'k2', 'h', 1000, 60_000), { kind: 'claimed' });
    t.same(await store.claimIdempotencyKey('gw1', 'k2', 'h', 70_000, 60_000), { kind: 'claimed' });
    await store.releaseIdempotencyKey('gw1', 'k2');
    t.same(await store.claimIdempotencyKey('gw1', 'k2', 'other', 70_001, 60_000), { kind: 'claimed' }, 'released key is free');
    t.equal(await store.purgeIdempotencyKeys(1500), 2);
    t.same(await store.claimIdempotencyKey('gw1', 'k1', 'h9', 80_000, 60_000), { kind: 'claimed' });
  });

  t.test('ingestOnce: writes once under a claimed key; replay, mismatch and in-flight write nothing; a failed write frees the key', async (t) => {
    const store = await open(t);
    const idem = { scope: 'gw1', key: 'k1', bodyHash: 'h1', staleAfterMs: 60_000 };
    t.same(await store.ingestOnce(write('gw1', [1, 2]), idem), { kind: 'stored', result: { accepted: 2, duplicates: 0 } });
    t.same(await store.ingestOnce(write('gw1', [3]), idem), { kind: 'in-flight' }, 'claimed and not completed');
    t.same(await store.ingestOnce(write('gw1', [3]), { ...idem, bodyHash: 'h2' }), { kind: 'mismatch' });
    await store.completeIdempotencyKey('gw1', 'k1', 200, '{"accepted":2}');
    t.same(await store.ingestOnce(write('gw1', [3]), idem), { kind: 'replay', status: 200, body: '{"accepted":2}' }, 'completion seen by the next claim');
    t.same((await store.queryReadings({ gatewayId: 'gw1', limit: 10 })).rows.map((r) => r.seq), [1, 2], 'only the granted write stored readings');
    const bad = write('gw1', [9]);
    bad.readings[0]!.asset = null as unknown as string; // refused by PostgreSQL (NOT NULL) or by the SQLite binding
    await t.rejects(store.ingestOnce(bad, { ...idem, key: 'k2' }));
    t.same(await store.claimIdempotencyKey('gw1', 'k2', 'h1', 6_000, 60_000), { kind: 'claimed' }, 'the failed write released its claim');
    t.same((await store.queryReadings({ gatewayId: 'gw1', limit: 10 })).rows.map((r) => r.seq), [1, 2]);
  });

  t.test('ping answers and a closed store refuses', async (t) => {
    const store = await open(t);
    await store.ping();
    await store.close();
    await t.rejects(store.ping());
  });
}
