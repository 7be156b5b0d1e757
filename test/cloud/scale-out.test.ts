/**
 * Scale-out proof: two cloud processes on one PostgreSQL ingest overlapping batches concurrently — each
 * batch is sent to both instances at the same moment, and consecutive batches overlap by half. Every
 * reading must be stored exactly once and the accepted counts must add up exactly.
 */
import pg from 'pg';
import t from 'tap';
import { PATHS } from '../../shared/protocol.js';
import { PostgresStore } from '../../cloud/store/postgres.js';
import { addKey, batch, call, pgUnavailable, range, silentLog, throwawayDatabase } from './helpers.js';
import { spawnCloud } from './processes.js';

const unavailable = await pgUnavailable();
t.test('two instances, one PostgreSQL, overlapping concurrent batches: every reading stored once', { skip: unavailable ?? false }, async (t) => {
  const url = await throwawayDatabase(t);
  const setup = new PostgresStore({ url, poolSize: 2, log: silentLog });
  await setup.open();
  const gws = ['gw-a', 'gw-b', 'gw-c'];
  const keys = new Map<string, string>();
  for (const g of gws) keys.set(g, (await addKey(setup, 'gateway', g)).key);
  await setup.close();

  // Both instances start together: the schema migration must be safe under concurrency.
  const [a, b] = await Promise.all([spawnCloud(t, ['--database-url', url]), spawnCloud(t, ['--database-url', url])]);
  const BATCHES = 30;
  const SIZE = 400;
  let accepted = 0;
  let duplicates = 0;
  let sent = 0;
  const jobs: Array<() => Promise<void>> = [];
  for (const g of gws) {
    for (let i = 0; i < BATCHES; i++) {
      const body = batch(g, range(i * (SIZE / 2), i * (SIZE / 2) + SIZE));
      jobs.push(async () => {
        const answers = await Promise.all([a, b].map((inst) => call(inst.url + PATHS.ingest, { key: keys.get(g)!, body, gzip: true })));
        for (const ans of answers) {
          if (ans.status !== 200) throw new Error(`status ${ans.status}: ${ans.text}`);
          accepted += ans.body.accepted as number;
          duplicates += ans.body.duplicates as number;
          sent += SIZE;
        }
      });
    }
  }
  // Eight requests in flight at any time, batches taken in a shuffled order.
  jobs.sort(() => Math.random() - 0.5);
  let next = 0;
  await Promise.all(range(0, 4).map(async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));

  const distinctPerGateway = (BATCHES - 1) * (SIZE / 2) + SIZE;
  t.equal(accepted, gws.length * distinctPerGateway, 'accepted = distinct readings');
  t.equal(accepted + duplicates, sent, 'every reading sent is either accepted or a duplicate');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT (s.gateway_id, s.epoch, r.seq)) AS d FROM readings r JOIN streams s ON s.id = r.stream_id',
    );
    t.equal(Number(rows[0]!.n), gws.length * distinctPerGateway, 'rows stored');
    t.equal(Number(rows[0]!.d), Number(rows[0]!.n), 'no reading stored twice');
  } finally {
    await client.end();
  }
  t.equal(await a.stop(), 0);
  t.equal(await b.stop(), 0);
});
