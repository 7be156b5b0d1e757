import t from 'tap';
import type { SyncStatus } from '../../../gateway/sync/engine.js';
import { ago, DrainEstimator, uplinkView } from '../../../gateway/status/uplink-words.js';

const NOW = 1_800_000_000_000;
const base: SyncStatus = {
  state: 'idle', cloudUrl: 'http://cloud', lastSuccessAt: NOW - 1000, lastFailure: null, failingSince: null, authFailure: null,
  nextAttemptAt: null, inFlight: 0, queuedRetries: 0, pending: 0, oldestPendingAgeMs: null, backlogUpToSeq: 0, readingsSynced: 0, bytesSent: 0,
};

t.test('plain words for each uplink state', async (t) => {
  t.equal(uplinkView(base, NOW, null).words, 'synced');
  t.equal(uplinkView({ ...base, pending: 40, oldestPendingAgeMs: 300 }, NOW, null).words, 'synced', 'live data in transit is not a backlog');
  const backlog = uplinkView({ ...base, pending: 12_000, oldestPendingAgeMs: 5 * 60_000 }, NOW, 100);
  t.equal(backlog.words, 'backlog 12000 readings, oldest 5 min ago');
  t.equal(backlog.drainEtaS, 120, 'drain ETA from the net drain rate');
  t.equal(uplinkView({ ...base, pending: 500, oldestPendingAgeMs: 60_000 }, NOW, null).drainEtaS, null, 'no ETA while not draining');
  const down = uplinkView({ ...base, state: 'retrying', failingSince: NOW - 120_000, pending: 10, oldestPendingAgeMs: 120_000 }, NOW, null);
  t.equal(down.kind, 'unreachable');
  t.match(down.words, /^cloud unreachable since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(2 min ago\)$/);
  t.equal(uplinkView({ ...base, state: 'auth-failed', authFailure: { at: NOW, status: 401, code: 'UNAUTHENTICATED' } }, NOW, null).words, 'API key rejected');
  t.equal(uplinkView({ ...base, state: 'disabled' }, NOW, null).kind, 'standalone');
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
