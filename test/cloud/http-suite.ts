/**
 * The cloud over real HTTP (undici client, server on an ephemeral port), run against each backend by
 * server-sqlite.test.ts and server-postgres.test.ts. Not a test file itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Test } from 'tap';
import { ingestResponseSchema, PATHS } from '../../shared/protocol.js';
import type { CloudStore } from '../../cloud/store/store.js';
import { SYNC_GUNZIP_MAX_BYTES } from '../../cloud/http/body.js';
import { addKey, batch, call, range, reading, startCloud } from './helpers.js';

export function httpSuite(t: Test, open: (t: Test) => Promise<CloudStore>): void {
  t.test('ingest: stored once, gzip or not; duplicates and overlaps reported exactly', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store);
    const first = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 500)), gzip: true });
    t.equal(first.status, 200);
    t.same(first.body, { accepted: 500, duplicates: 0, rejected: [] });
    t.ok(ingestResponseSchema.safeParse(first.body).success, 'response matches the shared schema');
    const again = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 500)), gzip: true });
    t.same(again.body, { accepted: 0, duplicates: 500, rejected: [] });
    const overlap = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(400, 600)) });
    t.same(overlap.body, { accepted: 100, duplicates: 100, rejected: [] }, 'uncompressed works too');
    // Concurrent overlapping batches.
    const answers = await Promise.all(
      range(0, 8).map((i) => call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(550 + i * 50, 750 + i * 50)), gzip: true })),
    );
    const acc = answers.reduce((s, a) => s + (a.body.accepted as number), 0);
    t.equal(acc, 1100 - 600, 'every new reading accepted exactly once');
    t.equal(answers.reduce((s, a) => s + (a.body.duplicates as number), 0), 8 * 200 - acc);
  });

  t.test('ingest: one bad reading is rejected with its reason, the rest stored', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const op = await addKey(store, 'operator');
    const { url } = await startCloud(t, store);
    const b = batch('gw1', range(0, 5));
    const readings = b.readings as unknown[];
    readings[1] = { ...reading(1), ts: 'yesterday' };
    readings[3] = { ...reading(3), value: null };
    readings.push({ nonsense: true });
    // A gateway clock days ahead of the cloud's: refused like the gateway refuses device times days ahead.
    const ahead = Date.now() + 3 * 86_400_000;
    readings.push({ ...reading(6), ts: ahead, receivedAt: ahead });
    const res = await call(url + PATHS.ingest, { key: gw.key, body: b, gzip: true });
    t.equal(res.status, 200);
    t.equal(res.body.accepted, 3);
    t.same(res.body.rejected, [
      { seq: 1, reason: 'readings.1.ts: expected integer epoch milliseconds' },
      { seq: 3, reason: 'readings.3.value: expected a finite number' },
      { seq: null, reason: 'readings.5.seq: expected a non-negative integer' },
      { seq: 6, reason: 'readings.6.receivedAt: is more than a day in the future' },
    ]);
    const stored = await call(url + PATHS.readings + '?gatewayId=gw1', { key: op.key });
    t.same(stored.body.readings.map((r: { seq: number }) => r.seq), [0, 2, 4]);
  });

  t.test('400: not a batch, every bad path listed; corrupt JSON or gzip', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store);
    const res = await call(url + PATHS.ingest, { key: gw.key, body: { gatewayId: 'gw1', epoch: 5, readings: 'no' } });
    t.equal(res.status, 400);
    t.equal(res.body.error.code, 'INVALID_BATCH');
    t.same(res.body.error.issues.map((i: { path: string }) => i.path).sort(), ['batchId', 'epoch', 'readings']);
    const json = await call(url + PATHS.ingest, { key: gw.key, raw: '{"gatewayId":' });
    t.equal(json.status, 400);
    t.equal(json.body.error.code, 'INVALID_ENCODING');
    const gz = await call(url + PATHS.ingest, { key: gw.key, raw: Buffer.from('not gzip at all'), headers: { 'content-encoding': 'gzip' } });
    t.equal(gz.status, 400);
    t.equal(gz.body.error.code, 'INVALID_ENCODING');
    const tooMany = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 10_001)), gzip: true });
    t.equal(tooMany.status, 400, 'more readings than the contract allows');
  });

  t.test('401 / 403: missing, unknown, malformed, wrong secret, wrong gateway, wrong kind, revoked', async (t) => {
    const store = await open(t);
    const gw1 = await addKey(store, 'gateway', 'gw1');
    const op = await addKey(store, 'operator');
    const { url } = await startCloud(t, store, { auth: { cacheTtlMs: 0 } });
    const body = batch('gw1', [1]);
    const none = await call(url + PATHS.ingest, { body });
    t.equal(none.status, 401);
    t.equal(none.body.error.code, 'UNAUTHENTICATED');
    t.equal(none.headers['www-authenticate'], 'Bearer');
    t.equal((await call(url + PATHS.ingest, { key: 'hello', body })).status, 401, 'malformed');
    t.equal((await call(url + PATHS.ingest, { key: 'smk_000000000000_' + 'A'.repeat(43), body })).status, 401, 'unknown id');
    const wrongSecret = gw1.key.slice(0, -4) + (gw1.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    t.equal((await call(url + PATHS.ingest, { key: wrongSecret, body })).status, 401, 'wrong secret');
    const viaHeader = await call(url + PATHS.ingest, { body, headers: { 'x-api-key': gw1.key } });
    t.equal(viaHeader.status, 200, 'X-API-Key works');
    const other = await call(url + PATHS.ingest, { key: gw1.key, body: batch('gw2', [1]) });
    t.equal(other.status, 403);
    t.equal(other.body.error.code, 'FORBIDDEN');
    t.equal((await call(url + PATHS.ingest, { key: op.key, body })).status, 403, 'operator key cannot ingest');
    t.equal((await call(url + PATHS.readings, { key: gw1.key })).status, 403, 'gateway key cannot read');
    t.equal((await call(url + PATHS.heartbeat('gw2'), { key: gw1.key, body: { ts: 1 } })).status, 403, 'heartbeat for another gateway');
    await store.revokeKey(gw1.record.id, Date.now());
    const revoked = await call(url + PATHS.ingest, { key: gw1.key, body });
    t.equal(revoked.status, 403);
    t.equal(revoked.body.error.code, 'KEY_REVOKED');
    t.notMatch(revoked.text, /smk_|stack|at /, 'errors leak nothing');
  });

  t.test('key rotation: two live keys, revoke the old one, refused on every instance within the cache TTL', async (t) => {
    const store = await open(t);
    let now = 1_800_000_000_000;
    const clock = (): number => now;
    const oldKey = await addKey(store, 'gateway', 'gw1');
    const a = await startCloud(t, store, { auth: { cacheTtlMs: 2000 } }, clock);
    const b = await startCloud(t, store, { auth: { cacheTtlMs: 2000 } }, clock);
    t.equal((await call(a.url + PATHS.ingest, { key: oldKey.key, body: batch('gw1', [1]) })).status, 200);
    t.equal((await call(b.url + PATHS.ingest, { key: oldKey.key, body: batch('gw1', [2]) })).status, 200);
    const newKey = await addKey(store, 'gateway', 'gw1');
    t.equal((await call(a.url + PATHS.ingest, { key: newKey.key, body: batch('gw1', [3]) })).status, 200, 'both keys live');
    await store.revokeKey(oldKey.record.id, now);
    now += 2001;
    for (const inst of [a, b]) {
      t.equal((await call(inst.url + PATHS.ingest, { key: oldKey.key, body: batch('gw1', [4]) })).status, 403, 'old key refused');
      t.equal((await call(inst.url + PATHS.ingest, { key: newKey.key, body: batch('gw1', [5]) })).status, 200, 'new key works');
    }
  });

  t.test('413: body too large and gzip bombs; 415: not JSON or unknown coding', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store, { http: { bodyLimitBytes: 64 * 1024, decompressedLimitBytes: 1024 * 1024 } });
    const big = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 2000)) });
    t.equal(big.status, 413);
    t.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    // 64 MB of spaces (valid JSON whitespace) gzip to ~64 KB: the classic bomb. Capped at 1 MB.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"gatewayId":"gw1",'), Buffer.alloc(64 * 1024 * 1024 - 100, 0x20), Buffer.from('"x":1}')]), { level: 9 });
    t.ok(bomb.length < 64 * 1024, `bomb is ${bomb.length} bytes on the wire`);
    const rssBefore = process.memoryUsage().rss;
    const boom = await call(url + PATHS.ingest, { key: gw.key, raw: bomb, headers: { 'content-encoding': 'gzip' } });
    t.equal(boom.status, 413);
    t.equal(boom.body.error.code, 'PAYLOAD_TOO_LARGE');
    t.ok(process.memoryUsage().rss - rssBefore < 48 * 1024 * 1024, 'the bomb was never inflated');
    const text = await call(url + PATHS.ingest, { key: gw.key, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    t.equal(text.status, 415);
    t.equal(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const br = await call(url + PATHS.ingest, { key: gw.key, raw: '{}', headers: { 'content-encoding': 'br' } });
    t.equal(br.status, 415);
    t.equal(br.headers['accept-encoding'], 'gzip');
  });

  t.test('bodies over 64 KiB as sent, or inflating past 1 MiB, are gunzipped off the event loop, with the same cap', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store, { http: { bodyLimitBytes: 1024 * 1024, decompressedLimitBytes: 3 * 1024 * 1024 } });
    // Small on the wire, 2 MiB inflated: past the event loop's share, within the cap.
    const airy = gzipSync(JSON.stringify({ ...batch('gw1', [7]), pad: ' '.repeat(2 * 1024 * 1024) }));
    t.ok(airy.length < SYNC_GUNZIP_MAX_BYTES && airy.length > 0);
    const inflated = await call(url + PATHS.ingest, { key: gw.key, raw: airy, headers: { 'content-encoding': 'gzip' } });
    t.equal(inflated.status, 200);
    t.same(inflated.body, { accepted: 1, duplicates: 0, rejected: [] });
    const smallBomb = gzipSync(Buffer.concat([Buffer.from('{"gatewayId":"gw1",'), Buffer.alloc(8 * 1024 * 1024, 0x20), Buffer.from('"x":1}')]));
    t.ok(smallBomb.length < SYNC_GUNZIP_MAX_BYTES);
    const small = await call(url + PATHS.ingest, { key: gw.key, raw: smallBomb, headers: { 'content-encoding': 'gzip' } });
    t.equal(small.status, 413, 'a small bomb is refused at the full cap');
    // Random base64 does not compress, so these bodies stay above SYNC_GUNZIP_MAX_BYTES on the wire.
    const pad = randomBytes(80 * 1024).toString('base64');
    const json = JSON.stringify({ ...batch('gw1', [1, 2, 3]), pad });
    const gz = gzipSync(json);
    t.ok(gz.length > SYNC_GUNZIP_MAX_BYTES, `${gz.length} bytes on the wire`);
    const ok = await call(url + PATHS.ingest, { key: gw.key, raw: gz, headers: { 'content-encoding': 'gzip' } });
    t.equal(ok.status, 200);
    t.same(ok.body, { accepted: 3, duplicates: 0, rejected: [] });
    const bomb = gzipSync(Buffer.concat([Buffer.from(`{"gatewayId":"gw1","pad":"${pad}"`), Buffer.alloc(4 * 1024 * 1024, 0x20), Buffer.from('}')]));
    t.ok(bomb.length > SYNC_GUNZIP_MAX_BYTES, `bomb is ${bomb.length} bytes on the wire`);
    const boom = await call(url + PATHS.ingest, { key: gw.key, raw: bomb, headers: { 'content-encoding': 'gzip' } });
    t.equal(boom.status, 413);
    t.equal(boom.body.error.code, 'PAYLOAD_TOO_LARGE');
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x41, 100, 2000);
    const bad = await call(url + PATHS.ingest, { key: gw.key, raw: corrupt, headers: { 'content-encoding': 'gzip' } });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.code, 'INVALID_ENCODING');
  });

  t.test('429 with Retry-After once a key exceeds its rate; other keys unaffected', async (t) => {
    const store = await open(t);
    const gw1 = await addKey(store, 'gateway', 'gw1');
    const gw2 = await addKey(store, 'gateway', 'gw2');
    const now = 1_800_000_000_000;
    const { url } = await startCloud(t, store, { auth: { rateLimit: { requestsPerSecond: 0.5, burst: 2 } } }, () => now);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(url + PATHS.ingest, { key: gw1.key, body: batch('gw1', [i]) })).status);
    t.same(statuses, [200, 200, 429]);
    const limited = await call(url + PATHS.ingest, { key: gw1.key, body: batch('gw1', [9]) });
    t.equal(limited.status, 429);
    t.equal(limited.headers['retry-after'], '2');
    t.equal(limited.body.error.code, 'RATE_LIMITED');
    t.equal((await call(url + PATHS.ingest, { key: gw2.key, body: batch('gw2', [1]) })).status, 200);
  });

  t.test('Idempotency-Key: same body replays, different body 422, in flight 409', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store);
    const body = batch('gw1', range(0, 10));
    const h = { 'idempotency-key': '"batch-0001"' };
    const first = await call(url + PATHS.ingest, { key: gw.key, body, gzip: true, headers: h });
    t.same(first.body, { accepted: 10, duplicates: 0, rejected: [] });
    const replay = await call(url + PATHS.ingest, { key: gw.key, body, gzip: true, headers: h });
    t.equal(replay.status, 200);
    t.same(replay.body, first.body, 'the first answer, not "10 duplicates"');
    t.equal(replay.headers['idempotent-replayed'], 'true');
    const changed = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', [99]), headers: h });
    t.equal(changed.status, 422);
    t.equal(changed.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    // Another instance holds the key for this exact body right now.
    const pending = batch('gw1', [50]);
    const text = JSON.stringify(pending);
    await store.claimIdempotencyKey('gw1', 'batch-0002', createHash('sha256').update(text).digest('hex'), Date.now(), 60_000);
    const busy = await call(url + PATHS.ingest, { key: gw.key, raw: text, headers: { 'idempotency-key': 'batch-0002' } });
    t.equal(busy.status, 409);
    t.equal(busy.body.error.code, 'IDEMPOTENCY_IN_FLIGHT');
    const bad = await call(url + PATHS.ingest, { key: gw.key, body, headers: { 'idempotency-key': 'x'.repeat(300) } });
    t.equal(bad.status, 400);
  });

  t.test('heartbeats, fleet status by heartbeat age, auth-failing flag, alerts and models', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const gw2 = await addKey(store, 'gateway', 'gw2');
    const gw3 = await addKey(store, 'gateway', 'gw3');
    const op = await addKey(store, 'operator');
    let now = 1_800_000_000_000;
    const { url } = await startCloud(t, store, { fleet: { staleAfterMs: 60_000, offlineAfterMs: 300_000 } }, () => now);
    const hb = await call(url + PATHS.heartbeat('gw1'), {
      key: gw.key,
      body: { ts: now, version: '0.1.0', backlog: { pending: 42, oldestPendingAgeMs: 1000 }, models: [{ model: 'rul', version: '3' }] },
    });
    t.equal(hb.status, 200);
    t.equal((await call(url + PATHS.heartbeat('gw1'), { key: gw.key, body: { ts: 'x' } })).status, 400);
    const b = batch('gw1', [1], {
      alerts: [{ id: 'al-1', asset: 'pump-7', model: 'rul', version: '3', output: 'rul', severity: 'critical', state: 'raised', value: 5, threshold: 20, ts: now }],
      gaps: [{ fromTs: 1, toTs: 2, count: 3, reason: 'drop-oldest' }],
    });
    b.readings[0]!.scores = [{ model: 'anomaly', version: '1', output: 'score', value: 0.1 }];
    t.equal((await call(url + PATHS.ingest, { key: gw.key, body: b, gzip: true })).status, 200);
    // gw2's gateway still uses a key that has been revoked: that key is gw2's, so gw2 is flagged.
    await store.revokeKey(gw2.record.id, now);
    t.equal((await call(url + PATHS.heartbeat('gw2'), { key: gw2.key, body: { ts: now } })).status, 403);
    // Anyone can name gw3 in a URL: a junk key, another gateway's key or a forged secret flags nothing.
    t.equal((await call(url + PATHS.heartbeat('gw3'), { key: gw3.key, body: { ts: now } })).status, 200);
    t.equal((await call(url + PATHS.heartbeat('gw3'), { key: 'smk_000000000000_' + 'A'.repeat(43), body: { ts: now } })).status, 401);
    t.equal((await call(url + PATHS.heartbeat('gw3'), { key: gw.key, body: { ts: now } })).status, 403);
    const forged = `smk_${gw2.record.id}_${'B'.repeat(43)}`;
    t.equal((await call(url + PATHS.heartbeat('gw3'), { key: forged, body: { ts: now } })).status, 401);
    t.equal((await call(url + PATHS.heartbeat('gw1'), { key: 'smk_000000000000_' + 'A'.repeat(43), body: { ts: now } })).status, 401);
    await new Promise((r) => setTimeout(r, 50)); // the auth-failure note is written in the background
    const fleet = async () => (await call(url + PATHS.gateways, { key: op.key })).body.gateways as Array<Record<string, unknown>>;
    let gws = await fleet();
    t.match(gws, [
      { id: 'gw1', status: 'healthy', authFailing: false, backlog: { pending: 42, oldestPendingAgeMs: 1000 }, lastBatchId: b.batchId },
      { id: 'gw2', status: 'offline', authFailing: true, lastHeartbeatAt: null },
      { id: 'gw3', status: 'healthy', authFailing: false },
    ]);
    now += 61_000;
    gws = await fleet();
    t.equal(gws[0]!.status, 'stale');
    now += 300_000;
    gws = await fleet();
    t.equal(gws[0]!.status, 'offline');
    const alerts = await call(url + PATHS.alerts + '?state=raised', { key: op.key });
    t.match(alerts.body, { alerts: [{ id: 'al-1', gatewayId: 'gw1', severity: 'critical' }], next: null });
    const models = await call(url + PATHS.models, { key: op.key });
    t.same(models.body.models.map((m: { model: string; version: string }) => `${m.model}@${m.version}`), ['anomaly@1', 'rul@3']);
  });

  t.test('readings are paged by `next` paths until null', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const op = await addKey(store, 'operator');
    const { url } = await startCloud(t, store);
    await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 25)), gzip: true });
    const seqs: number[] = [];
    let next: string | null = `${PATHS.readings}?gatewayId=gw1&asset=pump-7&limit=10`;
    let pages = 0;
    while (next !== null && pages < 10) {
      const res = await call(url + next, { key: op.key });
      t.equal(res.status, 200);
      seqs.push(...res.body.readings.map((r: { seq: number }) => r.seq));
      next = res.body.next;
      pages++;
    }
    t.equal(pages, 3);
    t.same(seqs, range(0, 25));
    t.equal((await call(url + PATHS.readings + '?limit=0', { key: op.key })).status, 400);
    t.equal((await call(url + PATHS.readings + '?bogus=1', { key: op.key })).status, 400);
  });

  t.test('health, metrics, security headers, JSON 404; storage down → 503', async (t) => {
    const store = await open(t);
    const gw = await addKey(store, 'gateway', 'gw1');
    const { url } = await startCloud(t, store);
    await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(0, 7)) });
    await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', range(5, 9)) });
    const health = await call(url + '/health');
    t.equal(health.status, 200);
    t.equal(health.headers['x-content-type-options'], 'nosniff');
    t.equal((await call(url + '/health/db')).body.db.ok, true);
    const detailed = await call(url + '/health/detailed');
    t.equal(detailed.status, 200);
    t.match(detailed.body, { status: 'ok', db: { ok: true }, ingest: { readingsIngested: 9, readingsDuplicate: 2 }, fleet: { total: 1 } });
    const metrics = await call(url + '/metrics');
    t.match(metrics.text, /smartmaint_cloud_readings_ingested_total 9/);
    t.match(metrics.text, /smartmaint_cloud_readings_duplicate_total 2/);
    t.match(metrics.text, /smartmaint_cloud_requests_total\{route="\/api\/v1\/data\/ingest",status="200"\} 2/);
    t.match(metrics.text, /smartmaint_cloud_request_duration_seconds_bucket/);
    t.match(metrics.text, /process_cpu_user_seconds_total/);
    const missing = await call(url + '/nope');
    t.equal(missing.status, 404);
    t.equal(missing.body.error.code, 'NOT_FOUND');
    // Fault: the database goes away under the running server.
    await store.close();
    t.equal((await call(url + '/health/db')).status, 503);
    t.equal((await call(url + '/health/detailed')).status, 503);
    t.equal((await call(url + '/health')).status, 200, 'liveness is not readiness');
    const down = await call(url + PATHS.ingest, { key: gw.key, body: batch('gw1', [100]) });
    t.ok(down.status === 503 || down.status === 401, `ingest refused while storage is down (${down.status})`);
    t.notMatch(down.text, /sqlite|postgres|stack/i, 'no internals in the error');
  });
}
