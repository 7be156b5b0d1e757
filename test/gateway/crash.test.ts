/**
 * The promise under power-cut conditions: QoS 1 publishers record every PUBACK while the gateway is killed
 * with SIGKILL mid-load and restarted, several times. Every acknowledged reading must be in the outbox exactly
 * once. Sets are compared, not counts.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import t from 'tap';
import { RedeliveringStore } from '../../gateway/tools/simulate/redelivering-store.js';
import { removeDir, spawnGateway, tempDir, type GatewayChild } from '../helpers/gateway.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const ROUNDS = 4;
const PUBLISHERS = 4;
const IN_FLIGHT = 20;

t.test('every acknowledged reading survives repeated SIGKILL, stored exactly once', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const mqttPort = await freePort();
  const args = ['--gateway-id', 'crash', '--data-dir', dir, '--mqtt-port', String(mqttPort), '--http-port', '0',
    '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1', '--allow-anonymous'];
  let gw: GatewayChild = await spawnGateway(args, { SMARTMAINT_SCORING: 'false' });

  const acked = new Set<string>();
  const sent = new Set<string>();
  let running = true;
  // Publishers redeliver their in-flight messages with DUP=1 after each kill (MQTT-3.3.1-1), as the gateway's
  // deduplication requires; plain mqtt.js would re-send with DUP=0, which the gateway stores as new messages.
  const clients = Array.from({ length: PUBLISHERS }, (_, k) => {
    const store = new RedeliveringStore();
    return store.track(mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`,
      { clientId: `crash-pub-${k}`, reconnectPeriod: 50, connectTimeout: 2000, clean: true, outgoingStore: store }));
  });
  for (const c of clients) c.on('error', () => {});
  const loops = clients.map(async (client, k) => {
    let i = 0;
    const inflight = new Set<Promise<void>>();
    while (running) {
      const n = i++;
      const id = `${k}:${n}`;
      sent.add(id);
      const p = client.publishAsync(`telemetry/crash-${k}/s`, String(n), { qos: 1 })
        .then(() => { acked.add(id); }, () => {})
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 5000))]);
  });

  for (let round = 0; round < ROUNDS; round++) {
    const ackedBefore = acked.size;
    const deadline = Date.now() + 10_000;
    // Let load run until at least some acks happened this round, then kill at a random moment.
    while (acked.size < ackedBefore + 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
    t.comment(`round ${round}: acked ${acked.size}, sent ${sent.size}`);
    gw.child.kill('SIGKILL');
    await gw.exited;
    gw = await spawnGateway(args, { SMARTMAINT_SCORING: 'false' });
  }
  const finalTarget = acked.size + 200;
  const deadline = Date.now() + 10_000;
  while (acked.size < finalTarget && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  running = false;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  gw.child.kill('SIGTERM');
  t.equal(await gw.exited, 0);

  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  const rows = db.prepare('SELECT asset, value FROM readings').all() as Array<{ asset: string; value: number }>;
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'database intact');
  db.close();
  const stored = rows.map((r) => `${r.asset.slice('crash-'.length)}:${r.value}`);
  const storedSet = new Set(stored);
  t.ok(acked.size > ROUNDS * 200, `load ran (${acked.size} acknowledged of ${sent.size} sent)`);
  const lost = [...acked].filter((id) => !storedSet.has(id));
  t.same(lost, [], 'every acknowledged reading is stored');
  const seen = new Set<string>();
  const doubled = stored.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  t.same(doubled, [], 'no reading stored twice');
  const invented = stored.filter((id) => !sent.has(id));
  t.same(invented, [], 'nothing stored that was not sent');
});
