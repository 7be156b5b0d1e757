/**
 * The status page's HTTP side on a real gateway: the page and its files (no CDN, CSP), the snapshot (assets,
 * dead letters with reasons, disk), the SSE stream (pushes snapshots, drops a client that disconnects, ends
 * on stop so the server can close), the streamed CSV/NDJSON export of an asset and range, and the optional
 * technician password.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { request } from 'undici';
import { hashPassword } from '../../../../gateway/auth/scrypt-password.js';
import { csvLine } from '../../../../gateway/http/routes/status-page.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Reads SSE `data:` frames until `until` accepts one (at most `max` frames). */
async function readEvents(body: AsyncIterable<Buffer>, until: (s: any) => boolean, max = 20): Promise<any[]> {
  const seen: any[] = [];
  let buffer = '';
  for await (const chunk of body) {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (!data) continue;
      const s = JSON.parse(data);
      seen.push(s);
      if (until(s) || seen.length >= max) return seen;
    }
  }
  return seen;
}

t.test('page, snapshot, stream and export', async (t) => {
  const dir = tempDir();
  const gateway = await startGateway(dir);
  t.teardown(async () => {
    await gateway.stop();
    removeDir(dir);
  });
  const port = gateway.httpPort;

  const page = await get(port, '/');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.headers['content-security-policy'], /script-src 'self'/, 'only the gateway\'s own script runs');
  t.notMatch(page.text, /https?:\/\//, 'no external URL in the page');
  for (const f of ['/status/status.js', '/status/status.css', '/ui/ui.js']) t.equal((await get(port, f)).status, 200, f);

  const device = await connect(gateway.mqttPort, { clientId: 'plc-7' });
  const t0 = Date.now() - 10_000;
  for (let i = 0; i < 10; i++) await publish(device, 'telemetry/pump-7/temp', JSON.stringify({ ts: t0 + i * 1000, value: 20 + i }));
  await publish(device, 'telemetry/pump-7/temp', 'not a number');
  await endClient(device);

  const snap = JSON.parse((await get(port, '/api/v1/status/snapshot')).text);
  t.equal(snap.gatewayId, 'test-gw');
  t.equal(snap.uplink.words, 'standalone (no cloud configured)');
  const pump = snap.assets.find((a: any) => a.asset === 'pump-7');
  t.same(pump?.sensors.temp, [t0 + 9000, 29], 'latest value of the sensor');
  t.equal(snap.deadLetters.length, 1, 'the refused message is listed');
  t.equal(snap.deadLetters[0].topic, 'telemetry/pump-7/temp');
  t.ok(snap.deadLetters[0].reason.length > 0, `with its reason (${snap.deadLetters[0].reason})`);
  t.ok(snap.disk.usedBytes > 0, 'outbox disk use');

  const history = JSON.parse((await get(port, '/api/v1/status/history?asset=pump-7')).text);
  t.equal(history.sensors.temp.length, 10, 'chart window of the sensor');

  const csv = await get(port, `/api/v1/export?asset=pump-7&from=${t0 + 2000}&to=${t0 + 5000}&format=csv`);
  t.equal(csv.status, 200);
  t.match(csv.headers['content-disposition'], /attachment; filename="test-gw-pump-7-.*\.csv"/);
  const lines = csv.text.trim().split('\n');
  t.equal(lines[0], 'seq,ts,time,asset,sensor,value,unit,quality,source');
  t.same(lines.slice(1).map((l) => Number(l.split(',')[5])), [22, 23, 24], 'from inclusive, to exclusive');
  const nd = await get(port, `/api/v1/export?asset=pump-7&format=ndjson&from=${new Date(t0 + 8000).toISOString()}`);
  t.match(nd.headers['content-type'], /application\/x-ndjson/);
  t.same(nd.text.trim().split('\n').map((l) => JSON.parse(l).value), [28, 29], 'ISO times accepted');
  t.equal((await get(port, '/api/v1/export?format=csv')).status, 400, 'asset is required');
  t.equal((await get(port, '/api/v1/export?asset=x&format=xml')).status, 400, 'unknown format refused');

  // SSE: snapshots arrive; a client that goes away is removed.
  const ac = new AbortController();
  const res = await request(`http://127.0.0.1:${port}/api/v1/status/stream`, { signal: ac.signal });
  t.match(res.headers['content-type'], /text\/event-stream/);
  const events = await readEvents(res.body, (_s) => false, 2);
  t.equal(events.length, 2, 'two snapshots pushed');
  t.ok(events[1].ts > events[0].ts, 'a newer snapshot each tick');
  t.equal(gateway.statusPage.clientCount, 1);
  ac.abort();
  res.body.destroy();
  for (let i = 0; i < 100 && gateway.statusPage.clientCount > 0; i++) await sleep(20);
  t.equal(gateway.statusPage.clientCount, 0, 'disconnected client removed');
});

t.test('an open stream does not hold up stop()', async (t) => {
  const dir = tempDir();
  const gateway = await startGateway(dir);
  t.teardown(() => removeDir(dir));
  const res = await request(`http://127.0.0.1:${gateway.httpPort}/api/v1/status/stream`);
  await readEvents(res.body, () => true, 1);
  await gateway.stop();
  t.equal(gateway.statusPage.clientCount, 0, 'streams ended on stop');
  res.body.destroy();
});

t.test('technician password (stored as an scrypt hash)', async (t) => {
  const dir = tempDir();
  const gateway = await startGateway(dir, { http: { password: await hashPassword('correct horse') } });
  t.teardown(async () => {
    await gateway.stop();
    removeDir(dir);
  });
  const port = gateway.httpPort;
  const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`tech:${p}`).toString('base64')}` });
  const none = await get(port, '/');
  t.equal(none.status, 401);
  t.match(none.headers['www-authenticate'], /^Basic /);
  t.equal((await get(port, '/api/v1/export?asset=a', basic('wrong password'))).status, 401, 'wrong password refused');
  t.equal((await get(port, '/api/v1/status/snapshot', basic('correct horse'))).status, 200, 'right password accepted');
  t.equal((await get(port, '/', basic('correct horse'))).status, 200);
});

t.test('CSV export neutralises cells a spreadsheet would run as formulas', async (t) => {
  const base = { seq: 1, ts: 0, receivedAt: 0, value: -3.5, quality: 1, source: 'mqtt' } as const;
  const line = csvLine({ ...base, asset: '=HYPERLINK("http://x","y")', sensor: '@SUM(A1)', unit: '=1+2' } as never);
  const cells = line.trimEnd().split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  t.equal(cells[3], `"'=HYPERLINK(""http://x"",""y"")"`, 'asset starting with =');
  t.equal(cells[4], "'@SUM(A1)", 'sensor starting with @');
  t.equal(cells[5], '-3.5', 'a negative number stays a number');
  t.equal(cells[6], "'=1+2", 'unit starting with =');
  for (const lead of ['+', '-', '\t', '\r']) {
    const cell = csvLine({ ...base, asset: 'a', sensor: `${lead}x`, unit: null } as never).split(',')[4]!;
    t.ok(cell.replace(/^"/, '').startsWith("'"), `a cell starting with ${JSON.stringify(lead)} is text`);
  }

  const dir = tempDir();
  const gateway = await startGateway(dir);
  t.teardown(async () => { await gateway.stop(); removeDir(dir); });
  const client = await connect(gateway.mqttPort, { clientId: 'csv-test' });
  await publish(client, 'telemetry/pump-1/temp', JSON.stringify({ value: 1, unit: '=1+2' }));
  await endClient(client);
  const csv = await get(gateway.httpPort, '/api/v1/export?asset=pump-1&format=csv');
  t.equal(csv.text.trim().split('\n')[1]!.split(',')[6], "'=1+2", 'over HTTP too');
});
