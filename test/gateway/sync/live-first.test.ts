/**
 * Live first: after an outage, readings that arrive once the cloud is back overtake the backlog, which drains
 * behind them marked historical. The cloud here is a real HTTP server that records the order batches arrive in
 * and answers like the ingestion API (it is down, then up but slow, so the drain takes a while).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

interface Received { asset: string; historical: boolean }

t.test('after an outage, live readings go ahead of the backlog', async (t) => {
  let up = false;
  const batches: Received[][] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"UNAVAILABLE","message":"down"}}');
        return;
      }
      if (req.url !== '/api/v1/data/ingest') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { readings: Array<{ asset: string; historical?: boolean }> };
      batches.push(body.readings.map((r) => ({ asset: r.asset, historical: r.historical === true })));
      // A slow cloud: the backlog takes a while to drain.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: body.readings.length, duplicates: 0, rejected: [] }));
      }, 60);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const cloudPort = (server.address() as { port: number }).port;
  const dir = tempDir();
  const gw = await startGateway(dir, {
    sync: { cloudUrl: `http://127.0.0.1:${cloudPort}`, batchMaxReadings: 100, maxInFlight: 4, backlogShare: 0.25,
      backoffInitialMs: 20, backoffMaxMs: 200, probeIntervalMs: 50, heartbeatSchedule: '0 0 1 1 *' },
  });
  t.teardown(async () => { await gw.stop(); removeDir(dir); await new Promise((r) => server.close(r)); });

  const client = await connect(gw.mqttPort);
  for (let i = 0; i < 5000; i++) client.publish('telemetry/outage/s', String(i), { qos: 0 });
  await client.publishAsync('other/barrier', 'x', { qos: 1 });
  await gw.pipeline.flush();
  t.equal(gw.sync.state, 'retrying', 'the cloud is down');
  up = true;
  const deadline = Date.now() + 10_000;
  while (gw.sync.state === 'retrying' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  t.not(gw.sync.state, 'retrying', 'sync noticed the cloud is back');
  await Promise.all(Array.from({ length: 200 }, (_, i) => client.publishAsync('telemetry/live/s', String(i), { qos: 1 })));
  await endClient(client);
  await gw.sync.whenIdle();

  const flat = batches.flat();
  t.equal(flat.filter((r) => r.asset === 'outage').length, 5000, 'the whole backlog arrived');
  t.equal(flat.filter((r) => r.asset === 'live').length, 200, 'all live readings arrived');
  t.ok(flat.filter((r) => r.asset === 'outage').every((r) => r.historical), 'backlog marked historical');
  t.ok(flat.filter((r) => r.asset === 'live').every((r) => !r.historical), 'live readings not marked historical');
  const lastLive = batches.findLastIndex((b) => b.some((r) => r.asset === 'live'));
  const lastBacklog = batches.findLastIndex((b) => b.some((r) => r.asset === 'outage'));
  t.ok(lastLive < lastBacklog, `every live reading arrived before the backlog finished (last live batch ${lastLive}, last backlog batch ${lastBacklog} of ${batches.length})`);
});
