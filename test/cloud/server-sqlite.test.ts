import t from 'tap';
import { httpSuite } from './http-suite.js';
import { addKey, batch, call, openStore, range, startCloud } from './helpers.js';
import { PATHS } from '../../shared/protocol.js';

httpSuite(t, (tt) => openStore(tt, 'sqlite'));

// The production path: writes, claims and answers on the writer thread, reading pages on the reader thread.
t.test('over the writer and reader threads: ingest, an immediate replay, a reading page', async (t) => {
  const store = await openStore(t, 'sqlite', { writerThread: true });
  const gw = await addKey(store, 'gateway', 'gw1');
  const op = await addKey(store, 'operator');
  const { url } = await startCloud(t, store);
  const body = batch('gw1', range(0, 50));
  const first = await call(url + PATHS.ingest, { key: gw.key, body, headers: { 'idempotency-key': 'b-1' } });
  t.equal(first.status, 200);
  t.same(first.body, { accepted: 50, duplicates: 0, rejected: [] });
  // Sent as soon as the first answer arrived: its record is still queued for the next group commit.
  const again = await call(url + PATHS.ingest, { key: gw.key, body, headers: { 'idempotency-key': 'b-1' } });
  t.equal(again.status, 200);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.same(again.body, first.body);
  const page = await call(`${url}${PATHS.readings}?gatewayId=gw1&limit=20`, { key: op.key });
  t.equal(page.status, 200);
  t.same(page.body.readings.map((r: { seq: number }) => r.seq), range(0, 20));
  t.type(page.body.next, 'string');
});
