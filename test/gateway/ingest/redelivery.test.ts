/**
 * "Acknowledged means stored" for clients that reuse packet ids and redeliver with DUP=1, over raw MQTT 3.1.1
 * packets (mqtt.js increments ids, so it cannot show these cases). The rule: a message is deduplicated only when
 * it has DUP=1 and matches (client id, packet id, topic, payload) of a message committed on an earlier
 * connection of that client id within outbox.dedupWindowMs; a DUP=0 message is always stored.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { request } from 'undici';
import type { Gateway } from '../../../gateway/gateway.js';
import { removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import { rawPublisher } from '../../helpers/raw-mqtt.js';

async function storedValues(gw: Gateway): Promise<number[]> {
  return gw.outbox.queryReadings({ limit: 1_000_000 }).map((r) => r.value);
}

async function deduplicated(gw: Gateway): Promise<number> {
  const res = await request(`http://127.0.0.1:${gw.httpPort}/metrics`);
  const m = /^smartmaint_readings_deduplicated_total (\d+)/m.exec(await res.body.text());
  return Number(m?.[1] ?? NaN);
}

async function gateway(t: Test, dedupWindowMs?: number): Promise<Gateway> {
  const dir = tempDir();
  const gw = await startGateway(dir, dedupWindowMs === undefined ? {} : { outbox: { dedupWindowMs } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  return gw;
}

t.test('the reproduction: one true redelivery deduplicated, every reuse of the id stored (7 of 8)', async (t) => {
  const gw = await gateway(t);
  const payload = '{"value": 42}';
  let c = await rawPublisher(gw.mqttPort, 'plc-7', false);
  t.equal(await c.publish(7, 'telemetry/x/s1', payload), 7);
  await c.drop(); // the PUBACK "was lost": the device redelivers on its next connection
  c = await rawPublisher(gw.mqttPort, 'plc-7', false);
  t.equal(await c.publish(7, 'telemetry/x/s1', payload, true), 7, 'the redelivery (DUP=1) is acknowledged');
  for (let i = 0; i < 3; i++) t.equal(await c.publish(7, 'telemetry/x/s1', payload), 7, `reuse ${i + 1} of id 7 acknowledged`);
  await c.end();
  const clean = await rawPublisher(gw.mqttPort, 'plc-7', true);
  for (let i = 0; i < 3; i++) t.equal(await clean.publish(7, 'telemetry/x/s1', payload), 7);
  await clean.end();
  t.same(await storedValues(gw), [42, 42, 42, 42, 42, 42, 42], '7 readings stored');
  t.equal(await deduplicated(gw), 1, 'only the DUP=1 redelivery was deduplicated');
});

t.test('10,000 identical QoS 1 messages, one in flight, packet id reused: 10,000 PUBACKs, 10,000 stored', async (t) => {
  const gw = await gateway(t);
  const c = await rawPublisher(gw.mqttPort, 'paho-style', true);
  let acks = 0;
  for (let i = 0; i < 10_000; i++) if (await c.publish(1, 'telemetry/x/s1', '{"value":1}') === 1) acks++;
  await c.end();
  t.equal(acks, 10_000, 'every message acknowledged');
  t.equal(gw.outbox.stats().readings, 10_000, 'every acknowledged message stored');
  t.equal(await deduplicated(gw), 0);
});

t.test('DUP=1 is deduplicated only against an earlier connection', async (t) => {
  const gw = await gateway(t);
  const c = await rawPublisher(gw.mqttPort, 'plc-d', false);
  t.equal(await c.publish(3, 'telemetry/d/s', '5'), 3);
  // DUP=1 on the same connection after its PUBACK: the id was free again, so this is a new message.
  t.equal(await c.publish(3, 'telemetry/d/s', '5', true), 3);
  t.same(await storedValues(gw), [5, 5], 'a DUP=1 on the connection that stored the original is stored');
  await c.drop();
  const again = await rawPublisher(gw.mqttPort, 'plc-d', false);
  t.equal(await again.publish(3, 'telemetry/d/s', '5', true), 3, 'redelivery on the next connection');
  t.equal(await again.publish(3, 'telemetry/d/s', '6', true), 3, 'DUP=1 with other content');
  t.equal(await again.publish(4, 'telemetry/d/s', '5', true), 4, 'DUP=1 with another packet id');
  t.equal(await again.publish(3, 'telemetry/d/t', '5', true), 3, 'DUP=1 on another topic');
  await again.end();
  const other = await rawPublisher(gw.mqttPort, 'plc-other', false);
  t.equal(await other.publish(3, 'telemetry/d/s', '5', true), 3, 'DUP=1 from another client id');
  await other.end();
  t.same(await storedValues(gw), [5, 5, 6, 5, 5, 5], 'only the matching redelivery was dropped');
  t.equal(await deduplicated(gw), 1);
});

t.test('a multi-value redelivery is deduplicated whole', async (t) => {
  const gw = await gateway(t);
  const payload = JSON.stringify({ values: { a: 1, b: 2, c: 3 } });
  const c = await rawPublisher(gw.mqttPort, 'plc-m', false);
  t.equal(await c.publish(9, 'telemetry/m', payload), 9);
  await c.drop();
  const again = await rawPublisher(gw.mqttPort, 'plc-m', false);
  t.equal(await again.publish(9, 'telemetry/m', payload, true), 9);
  await again.end();
  t.equal(gw.outbox.stats().readings, 3);
});

t.test('outside outbox.dedupWindowMs a redelivery is stored again', async (t) => {
  const gw = await gateway(t, 0);
  const c = await rawPublisher(gw.mqttPort, 'plc-w', false);
  t.equal(await c.publish(2, 'telemetry/w/s', '1'), 2);
  await c.drop();
  await new Promise((r) => setTimeout(r, 5));
  const again = await rawPublisher(gw.mqttPort, 'plc-w', false);
  t.equal(await again.publish(2, 'telemetry/w/s', '1', true), 2);
  await again.end();
  t.same(await storedValues(gw), [1, 1], 'a window of 0 deduplicates nothing');
  t.equal(await deduplicated(gw), 0);
});

t.test('a redelivery whose original is still queued for the writer is deduplicated too', async (t) => {
  const gw = await gateway(t);
  // Another connection holds the write lock: the original cannot commit before its redelivery arrives.
  const blocker = new Database(join(gw.config.dataDir, 'outbox.db'));
  t.teardown(() => { if (blocker.inTransaction) blocker.exec('ROLLBACK'); blocker.close(); });
  blocker.exec('BEGIN IMMEDIATE');
  const first = await rawPublisher(gw.mqttPort, 'plc-q', false);
  const unanswered = first.publish(5, 'telemetry/q/s', '{"value": 8}');
  await new Promise((r) => setTimeout(r, 50));
  await first.drop(); // the PUBACK never came: the device reconnects and redelivers
  t.equal(await unanswered, undefined, 'no PUBACK for the original while it waits for the writer');
  await new Promise((r) => setTimeout(r, 5));
  const again = await rawPublisher(gw.mqttPort, 'plc-q', false);
  const redelivered = again.publish(5, 'telemetry/q/s', '{"value": 8}', true);
  await new Promise((r) => setTimeout(r, 50));
  blocker.exec('ROLLBACK');
  t.equal(await redelivered, 5, 'the redelivery is acknowledged once the original is stored');
  await again.end();
  t.same(await storedValues(gw), [8], 'stored once');
  t.equal(await deduplicated(gw), 1);
});
