/**
 * The scoring stage's micro-batching: commits arriving within batchDelayMs are scored together (one engine call),
 * a full queue is scored at once, sync is held back (scoredUpTo) until scores are stored, and stop() scores what
 * is still waiting. A real outbox; the engine is a recording stand-in so the batches it receives can be counted.
 */
import pino from 'pino';
import t, { type Test } from 'tap';
import { databaseOf, Outbox, type OutboxEntry } from '../../../gateway/outbox/outbox.js';
import { ScoreStore } from '../../../gateway/outbox/score-store.js';
import type { ScoringEngine, ScoringInput } from '../../../gateway/scoring/engine.js';
import type { ScoringBatch } from '../../../gateway/scoring/scoring-batch.js';
import { ScoringStage } from '../../../gateway/scoring/scoring-stage.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(t: Test, opts: { batchDelayMs: number; maxBatch?: number }, raise = false) {
  const dir = tempDir();
  const outbox = new Outbox({ dataDir: dir, durability: 'process-crash', log: pino({ level: 'silent' }) });
  await outbox.open();
  const batches: ScoringInput[][] = [];
  const engine = {
    wants: (sensor: string) => sensor !== 's1',
    score: async (given: ScoringBatch, from = 0, to = Number.POSITIVE_INFINITY) => {
      const batch = given.toArray().slice(from, to);
      batches.push(batch);
      const first = batch[0]!;
      const alerts = raise ? [{ id: `a/m/y/warning/${first.ts}`, asset: first.asset, model: 'm', version: '1.0.0', output: 'y',
        severity: 'warning', state: 'raised' as const, value: 9, threshold: 5, ts: first.ts }] : [];
      return { scores: batch.map((r) => ({ seq: r.seq, model: 'm', version: '1.0.0', output: 'y', value: r.value * 2 })), alerts };
    },
  } as unknown as ScoringEngine;
  let scoredCalls = 0;
  const stage = new ScoringStage({
    engine, store: new ScoreStore({ outbox }), lastSeq: () => outbox.stats().lastSeq, publish: () => undefined, onScored: () => { scoredCalls++; }, log: pino({ level: 'silent' }), maxBatch: 5000, ...opts,
  });
  stage.start();
  const commit = async (n: number): Promise<OutboxEntry[]> => {
    const now = Date.now();
    const entries: OutboxEntry[] = [{
      source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
      readings: Array.from({ length: n }, (_, i) => ({ ts: now, receivedAt: now, asset: 'a', sensor: `s${i}`, value: i, unit: null, quality: null })),
    }];
    await outbox.write(entries);
    stage.onCommitted(entries);
    return entries;
  };
  const stored = () => (databaseOf(outbox).prepare('SELECT count(*) AS n FROM scores').get() as { n: number }).n;
  t.teardown(async () => { await stage.stop(); await outbox.close(); removeDir(dir); });
  return { stage, outbox, batches, commit, stored, scored: () => scoredCalls };
}

t.test('commits within batchDelayMs are scored as one micro-batch', async (t) => {
  const { stage, outbox, batches, commit, stored } = await setup(t, { batchDelayMs: 60 });
  await commit(3);
  await commit(2);
  await commit(4);
  t.equal(batches.length, 0, 'nothing scored before the delay');
  t.ok(stage.scoredUpTo < outbox.stats().lastSeq, 'sync is held back while readings wait for their scores');
  await sleep(150);
  t.equal(batches.length, 1, 'one engine call for three commits');
  t.same(batches[0]!.map((r) => r.sensor), ['s0', 's2', 's0', 's0', 's2', 's3'], 'with every reading a model reads (no model reads s1)');
  t.same(batches[0]!.map((r) => r.seq), [1, 3, 4, 6, 8, 9], 'each with its own seq');
  t.equal(stored(), 6, 'scores stored');
  t.equal(stage.scoredUpTo, Number.MAX_SAFE_INTEGER, 'nothing waiting: sync is free to send everything');
});

t.test('a queue reaching maxBatch is scored without waiting', async (t) => {
  const { batches, commit } = await setup(t, { batchDelayMs: 10_000, maxBatch: 5 });
  await commit(7);
  await sleep(30);
  t.equal(batches.length, 2, 'scored at once, in micro-batches of at most maxBatch');
  t.same(batches.map((b) => b.length), [5, 1]);
});

t.test('stop() scores what is still waiting', async (t) => {
  const { stage, batches, commit, stored, scored } = await setup(t, { batchDelayMs: 10_000 });
  await commit(4);
  t.equal(batches.length, 0);
  await stage.stop();
  t.equal(batches.length, 1, 'the waiting readings were scored');
  t.equal(stored(), 3, 'and their scores stored before stop() returned');
  t.ok(scored() >= 1, 'sync was told');
});

t.test('with batchDelayMs 0 each commit is scored as it comes', async (t) => {
  const { batches, commit } = await setup(t, { batchDelayMs: 0 });
  await commit(1);
  await sleep(20);
  await commit(4);
  await sleep(20);
  t.same(batches.map((b) => b.length), [1, 3]);
});

t.test('an alert puts every reading of its event ahead, sensors no model reads included', async (t) => {
  const { stage, outbox, commit } = await setup(t, { batchDelayMs: 0 }, true);
  await commit(4);
  await sleep(30);
  const rows = databaseOf(outbox).prepare('SELECT sensor, priority FROM readings ORDER BY seq').all() as Array<{ sensor: string; priority: number }>;
  t.same(rows, [{ sensor: 's0', priority: 1 }, { sensor: 's1', priority: 1 }, { sensor: 's2', priority: 1 }, { sensor: 's3', priority: 1 }]);
  t.equal(stage.scoredUpTo, Number.MAX_SAFE_INTEGER);
});

t.test('a commit of readings no model reads does not hold sync back', async (t) => {
  const { stage, outbox } = await setup(t, { batchDelayMs: 10_000 });
  const now = Date.now();
  const entries: OutboxEntry[] = [{ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
    readings: [{ ts: now, receivedAt: now, asset: 'a', sensor: 's1', value: 1, unit: null, quality: null }] }];
  await outbox.write(entries);
  stage.onCommitted(entries);
  t.equal(stage.scoredUpTo, Number.MAX_SAFE_INTEGER, 'nothing waits to be scored');
});
