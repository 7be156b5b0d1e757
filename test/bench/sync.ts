/**
 * bench:sync — drain a backlog of 1,000,000 readings from a gateway to a local cloud (SQLite) while ingestion
 * keeps running, and compare with a plain client posting the same kind of gzip batches straight to the cloud
 * (the cloud's own ceiling, measured in the same run).
 *
 *   npm run bench:sync [-- --readings 1000000 --ingest-rate 5000]
 *
 * Prints a table and a JSON line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { Pool, request } from 'undici';
import { Outbox, type OutboxEntry, type ReadingRow } from '../../gateway/outbox/outbox.js';
import { createKey, spawnCloud } from '../helpers/cloud.js';
import { removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';

const { values: args } = parseArgs({
  options: {
    readings: { type: 'string', default: '1000000' },
    'ingest-rate': { type: 'string', default: '5000' },
    'baseline-readings': { type: 'string', default: '300000' },
  },
});
const TOTAL = Number(args.readings);
const INGEST_RATE = Number(args['ingest-rate']);
const BASELINE = Number(args['baseline-readings']);
const tty = process.stdout.isTTY === true;
const progress = (msg: string) => { if (tty) process.stdout.write(`\r${msg.padEnd(70)}`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const dir = tempDir('smartmaint-bench-sync-');
  const cloudDir = join(dir, 'cloud');
  const gatewayDir = join(dir, 'gateway');
  const key = createKey(cloudDir, { gateway: 'bench-sync' });
  const baselineKey = createKey(cloudDir, { gateway: 'bench-baseline' });
  const cloud = await spawnCloud(cloudDir);

  // 1. A backlog of TOTAL readings, written straight into the gateway's outbox (as an outage would leave it).
  const fillStart = Date.now();
  const outbox = new Outbox({ dataDir: gatewayDir, durability: 'process-crash', log: pino({ level: 'silent' }) });
  await outbox.open();
  const base = Date.now() - 86_400_000;
  for (let written = 0; written < TOTAL;) {
    const entries: OutboxEntry[] = [];
    for (let m = 0; m < 100 && written < TOTAL; m++) {
      const readings: ReadingRow[] = [];
      for (let s = 0; s < 10 && written < TOTAL; s++, written++) {
        readings.push({ ts: base + written, receivedAt: base + written, asset: `engine-${written % 100}`, sensor: `s${s}`, value: Math.sin(written) * 100, unit: null, quality: null });
      }
      entries.push({ source: 'mqtt', clientId: 'bench', packetId: null, digest: null, readings, deadLetter: null });
    }
    await outbox.write(entries);
    if (written % 100_000 === 0) progress(`filling backlog ${written}/${TOTAL}`);
  }
  outbox.close();
  const fillMs = Date.now() - fillStart;

  // 2. The gateway drains it while a publisher keeps ingesting.
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, key);
  const gw = await spawnGateway(['--gateway-id', 'bench-sync', '--data-dir', gatewayDir, '--mqtt-port', '0', '--http-port', '0',
    '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1', '--cloud-url', `http://127.0.0.1:${cloud.port}`, '--api-key-file', keyFile,
    '--allow-anonymous', '--log-level', 'info']);
  const started = Date.now();
  const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`);
  let ingested = 0;
  let ingesting = true;
  const ingest = (async () => {
    await new Promise((r) => client.once('connect', r));
    const t0 = Date.now();
    while (ingesting) {
      const due = Math.floor(((Date.now() - t0) / 1000) * INGEST_RATE);
      for (; ingested < due; ingested += 10) {
        const values: Record<string, number> = {};
        for (let s = 0; s < 10; s++) values[`s${s}`] = ingested + s;
        client.publish('telemetry/live-engine', JSON.stringify({ values }), { qos: 0 });
      }
      await sleep(10);
    }
  })();
  let synced = 0;
  let bytes = 0;
  let drainedAt = 0;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const res = await request(`http://127.0.0.1:${gw.httpPort}/metrics`);
    const text = await res.body.text();
    synced = metric(text, 'smartmaint_sync_readings_total');
    bytes = metric(text, 'smartmaint_sync_bytes_total');
    progress(`drained ${synced}/${TOTAL} (${Math.round(synced / ((Date.now() - started) / 1000))} readings/s)`);
    if (synced >= TOTAL) { drainedAt = Date.now(); break; }
    await sleep(200);
  }
  ingesting = false;
  await ingest;
  await client.endAsync();
  const drainS = ((drainedAt || Date.now()) - started) / 1000;
  gw.child.kill('SIGTERM');
  await gw.exited;

  // 3. Baseline in the same run: a plain loop posting 1,000-reading gzip batches, 4 in flight, straight to the cloud.
  const pool = new Pool(`http://127.0.0.1:${cloud.port}`, { connections: 4 });
  const batchSize = 1000;
  const batches = Math.ceil(BASELINE / batchSize);
  let next = 0;
  const bStart = Date.now();
  let baselineBytes = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < batches) {
      const b = next++;
      const readings = Array.from({ length: batchSize }, (_, i) => {
        const seq = b * batchSize + i + 1;
        return { seq, ts: base + seq, receivedAt: base + seq, asset: `engine-${seq % 100}`, sensor: `s${seq % 10}`, value: Math.sin(seq) * 100 };
      });
      const body = gzipSync(JSON.stringify({ v: 1, gatewayId: 'bench-baseline', epoch: 'baseline', batchId: `b${b}`, readings }), { level: 1 });
      baselineBytes += body.length;
      const res = await pool.request({ method: 'POST', path: '/api/v1/data/ingest', body,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${baselineKey}` } });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`baseline batch failed: ${res.statusCode}`);
    }
  }));
  const baselineS = (Date.now() - bStart) / 1000;
  await pool.close();
  cloud.child.kill('SIGTERM');
  await cloud.exited;
  removeDir(dir);
  if (tty) process.stdout.write('\n');

  const result = {
    backlogReadings: TOTAL,
    fillSeconds: fillMs / 1000,
    drainSeconds: Math.round(drainS * 100) / 100,
    drainReadingsPerSecond: Math.round(TOTAL / drainS),
    bytesOnWirePerReading: Math.round((bytes / Math.max(1, synced)) * 100) / 100,
    ingestDuringDrainReadingsPerSecond: Math.round(ingested / drainS),
    baseline: {
      what: 'plain client → cloud, 1,000-reading gzip batches, 4 in flight',
      readings: batches * batchSize,
      readingsPerSecond: Math.round((batches * batchSize) / baselineS),
      bytesPerReading: Math.round((baselineBytes / (batches * batchSize)) * 100) / 100,
    },
    ratio: Math.round((TOTAL / drainS / ((batches * batchSize) / baselineS)) * 100) / 100,
  };
  console.log('\nbench:sync — backlog drain, gateway → cloud (SQLite), ingestion running');
  console.log(`  backlog                      ${result.backlogReadings.toLocaleString('en')} readings`);
  console.log(`  drained in                   ${result.drainSeconds} s`);
  console.log(`  drain rate                   ${result.drainReadingsPerSecond.toLocaleString('en')} readings/s   (target ≥ 100,000)`);
  console.log(`  bytes on the wire / reading  ${result.bytesOnWirePerReading}`);
  console.log(`  ingest during drain          ${result.ingestDuringDrainReadingsPerSecond.toLocaleString('en')} readings/s`);
  console.log(`  baseline (plain client)      ${result.baseline.readingsPerSecond.toLocaleString('en')} readings/s, ${result.baseline.bytesPerReading} B/reading`);
  console.log(`  gateway / baseline           ${result.ratio}`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
