import t from 'tap';
import type { SyncStatus } from '../../../gateway/sync/engine.js';
import { CloudContact, type ContactRecord } from '../../../gateway/sync/contact.js';
import { ago, DrainEstimator, uplinkHealth, uplinkView } from '../../../gateway/status/uplink-words.js';

const NOW = 1_800_000_000_000;
const base: SyncStatus = {
  state: 'idle', cloudUrl: 'http://cloud', lastSuccessAt: NOW - 1000, lastFailure: null, failingSince: null, authFailure: null,
  nextAttemptAt: null, inFlight: 0, queuedRetries: 0, pending: 0, oldestPendingAgeMs: null, backlogUpToSeq: 0, readingsSynced: 0, bytesSent: 0,
  contact: { last: { at: NOW - 3000, via: 'heartbeat', result: 'ok', detail: 'http-200' }, lastOkAt: NOW - 3000, failingSince: null },
};

/** The status after these contacts, in order. */
function after(...contacts: ContactRecord[]): SyncStatus {
  const c = new CloudContact();
  for (const x of contacts) c.record(x);
  return { ...base, contact: c.snapshot() };
}
const ok = (at: number, via: 'batch' | 'heartbeat' = 'batch'): ContactRecord => ({ at, via, result: 'ok', detail: 'ok' });
const fail = (at: number, via: 'batch' | 'heartbeat' = 'heartbeat'): ContactRecord => ({ at, via, result: 'failed', detail: 'econnrefused' });

t.test('plain words for each uplink state', async (t) => {
  t.equal(uplinkView(base, NOW, null).words, 'synced (last contact 3 s ago)');
  t.equal(uplinkView({ ...base, pending: 40, oldestPendingAgeMs: 300 }, NOW, null).kind, 'synced', 'live data in transit is not a backlog');
  const backlog = uplinkView({ ...base, pending: 12_000, oldestPendingAgeMs: 5 * 60_000 }, NOW, 100);
  t.equal(backlog.words, 'backlog 12000 readings, oldest 5 min ago');
  t.equal(backlog.drainEtaS, 120, 'drain ETA from the net drain rate');
  t.equal(uplinkView({ ...base, pending: 500, oldestPendingAgeMs: 60_000 }, NOW, null).drainEtaS, null, 'no ETA while not draining');
  const down = uplinkView({ ...after(ok(NOW - 200_000), fail(NOW - 120_000), fail(NOW - 1000, 'batch')), state: 'retrying' }, NOW, null);
  t.equal(down.kind, 'unreachable');
  t.match(down.words, /^cloud unreachable since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(2 min ago\)$/, 'since the first failure after the last good contact');
  t.equal(down.lastFailure, 'econnrefused (batch)');
  t.equal(uplinkView({ ...base, state: 'auth-failed', authFailure: { at: NOW, status: 401, code: 'UNAUTHENTICATED' } }, NOW, null).words, 'API key rejected');
  t.equal(uplinkView(after({ at: NOW, via: 'heartbeat', result: 'key-rejected', detail: 'http-401' }), NOW, null).words, 'API key rejected',
    'a heartbeat refused for its key says so even before any batch was sent');
  t.equal(uplinkView({ ...base, state: 'disabled' }, NOW, null).kind, 'standalone');
});

t.test('an engine with nothing to send is not "synced": the last contact of any kind decides', async (t) => {
  const never = uplinkView(after(), NOW, null);
  t.same([never.kind, never.words], ['never-connected', 'never connected']);
  const refused = uplinkView(after(fail(NOW - 65_000), fail(NOW - 5_000)), NOW, null);
  t.equal(refused.kind, 'never-connected');
  t.match(refused.words, /^never connected: cloud unreachable since .+ \(65 s ago\)$/);
  t.equal(uplinkView(after(fail(NOW - 65_000), ok(NOW - 2_000, 'heartbeat')), NOW, null).words, 'synced (last contact 2 s ago)',
    'a heartbeat that gets through is contact');
  t.equal(uplinkView(after(ok(NOW - 9_000), fail(NOW - 4_000)), NOW, null).kind, 'unreachable', 'a failed heartbeat after a good batch');
});

t.test('/health/detailed carries the same kind and words', async (t) => {
  const h = uplinkHealth({ ...after(ok(NOW - 200_000), fail(NOW - 60_000)), state: 'idle' }, NOW);
  t.equal(h.state, 'unreachable');
  t.match(h.words as string, /^cloud unreachable since/);
  t.equal(h.engineState, 'idle', 'the engine\'s own state is kept, under its own name');
  t.equal(h.healthy, true);
  t.equal(h.degraded, true);
  t.equal(uplinkHealth(after({ at: NOW, via: 'batch', result: 'key-rejected', detail: 'http-401' }), NOW).healthy, false);
});

t.test('ago', async (t) => {
  t.equal(ago(42_000), '42 s');
  t.equal(ago(3 * 60_000), '3 min');
  t.equal(ago((2 * 60 + 5) * 60_000), '2 h 5 min');
  t.equal(ago((3 * 24 + 4) * 3_600_000), '3 d 4 h');
});

t.test('drain estimator: net rate over the window, null while growing', async (t) => {
  const d = new DrainEstimator(30_000);
  t.equal(d.rate(), null);
  d.sample(0, 1000);
  d.sample(10_000, 500);
  t.equal(d.rate(), 50);
  d.sample(20_000, 900);
  t.equal(d.rate(), 5, 'net over the window: 100 readings in 20 s');
  d.sample(60_000, 2000);
  t.equal(d.rate(), null, 'old samples leave the window; growing backlog has no ETA');
});
