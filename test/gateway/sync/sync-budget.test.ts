/**
 * The disk budget end to end: the cloud is unreachable, the outbox fills past `outbox.maxBytes`, the policy drops
 * or folds readings; when the cloud is back, the gap records arrive there and the counts add up exactly:
 * received = stored in the cloud + dropped + folded.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import t from 'tap';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { cloudReadings } from '../../helpers/cloud.js';
import { sleep, startSystem, stopSystem, waitForDrain } from '../../helpers/sync-system.js';

for (const policy of ['drop-oldest', 'downsample'] as const) {
  t.test(`${policy}: gaps reach the cloud and the counts add up`, async (t) => {
    let proxy!: FaultProxy;
    const sys = await startSystem({
      cloudUrlPort: async (cloudPort) => {
        proxy = new FaultProxy(cloudPort);
        proxy.setFault({ kind: 'refuse' });
        return proxy.start();
      },
      outbox: { maxBytes: 2 * 1_048_576, whenFull: policy, budgetCheckIntervalMs: 100, downsampleWindowMs: 60_000 },
    });
    t.teardown(async () => { await stopSystem(sys); await proxy.stop(); });
    const client = mqtt.connect(`mqtt://127.0.0.1:${sys.mqttPort}`);
    await new Promise((r) => client.once('connect', r));
    const MESSAGES = 4000;
    const base = Date.now() - 10 * 3_600_000;
    for (let i = 0; i < MESSAGES; i++) {
      const values: Record<string, number> = {};
      for (let k = 0; k < 10; k++) values[`s${k}`] = i * 10 + k;
      client.publish('telemetry/budget', JSON.stringify({ ts: base + i * 1000, values }), { qos: 0 });
      if (i % 200 === 199) await client.publishAsync('other/barrier', 'x', { qos: 1 });
    }
    await client.endAsync();
    const received = MESSAGES * 10;
    // Let the budget act with the cloud still away, then bring the cloud back.
    await sleep(1500);
    proxy.setFault({ kind: 'none' }, true);
    await waitForDrain(sys, 90_000);
    await sleep(500);
    const rows = await cloudReadings(sys.cloud.port, sys.operatorKey, 'gw-e2e');
    const raw = rows.filter((r) => (r as { quality?: unknown }).quality !== 'aggregate');
    t.equal(new Set(raw.map((r) => r.value)).size, raw.length, 'no reading twice');
    const db = new Database(join(sys.cloudDir, 'cloud.db'), { readonly: true, fileMustExist: false });
    let gaps: Array<{ reason: string; n: number }> = [];
    try {
      gaps = db.prepare('SELECT reason, sum(count) AS n FROM gaps GROUP BY reason').all() as typeof gaps;
    } finally {
      db.close();
    }
    const accounted = gaps.reduce((a, g) => a + g.n, 0);
    t.ok(accounted > 0, `gap records arrived in the cloud (${JSON.stringify(gaps)})`);
    t.equal(raw.length + accounted, received, `received ${received} = stored ${raw.length} + ${policy === 'drop-oldest' ? 'dropped' : 'folded'} ${accounted}`);
    if (policy === 'downsample') t.ok(rows.length > raw.length, 'aggregates arrived too');
  });
}
