/**
 * The status page never claims what is not true, in real Chromium against a real gateway: with a cloud that was
 * never reached it says "never connected" (the same words as /health/detailed, the same kind as the
 * smartmaint_sync_state metric), and when its live stream dies it greys everything out, says since when the
 * figures are, and keeps their ages counting. Assets show when each (and each sensor) was last seen, a silent
 * one is marked stale, and the cards come by severity; empty lists say "none".
 */
import { createServer } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { hasChromium, NO_CHROMIUM, openBrowser, screenshot } from './browser.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../helpers/gateway.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}


if (!hasChromium()) {
  t.plan(0, NO_CHROMIUM);
} else {
  t.test('never-reached cloud, then a dead gateway: the page says so', async (t) => {
    const dir = tempDir();
    const gateway = await startGateway(dir, {
      sync: { cloudUrl: `http://127.0.0.1:${await closedPort()}`, heartbeatSchedule: '* * * * * *', backoffInitialMs: 100, backoffMaxMs: 500 },
    });
    let stopped = false;
    const browser = await openBrowser();
    t.teardown(async () => {
      await browser.close();
      if (!stopped) await gateway.stop();
      removeDir(dir);
    });
    const device = await connect(gateway.mqttPort, { clientId: 'plc-1' });
    for (let i = 0; i < 5; i++) await publish(device, 'telemetry/pump-1/temp', JSON.stringify({ value: 20 + i }));
    await endClient(device);

    const { page, errors } = browser;
    await page.goto(`http://127.0.0.1:${gateway.httpPort}/`);
    await page.waitForSelector('#live.live');
    await page.waitForFunction(() => /^never connected: cloud unreachable since /.test((globalThis as any).document.querySelector('#uplink')?.textContent ?? ''));
    t.equal(await page.getAttribute('#uplink', 'class'), 'big state-never-connected', 'shown as a fault, not green');
    const detailed = (await (await request(`http://127.0.0.1:${gateway.httpPort}/health/detailed`)).body.json()) as any;
    t.equal(detailed.components.sync.state, 'never-connected', '/health/detailed: the same state');
    const pageWords = (await page.textContent('#uplink'))!;
    const upTo = (w: string) => w.replace(/ \([^()]* ago\)$/, '');
    t.equal(upTo(detailed.components.sync.words), upTo(pageWords), '/health/detailed: the same words');
    const metrics = await (await request(`http://127.0.0.1:${gateway.httpPort}/metrics`)).body.text();
    t.match(metrics, /smartmaint_sync_state\{state="never-connected"\} 1/, 'the metric: the same state');
    t.match(metrics, /smartmaint_sync_state\{state="synced"\} 0/);
    t.ok(await page.isHidden('#lost'), 'no "lost" banner while live');

    // The gateway goes away: the page must not keep looking alive.
    await gateway.stop();
    stopped = true;
    await page.waitForSelector('#lost:not([hidden])');
    t.match(await page.textContent('#lost'), /^connection to the gateway lost at \d\d:\d\d:\d\d — figures are from then$/);
    t.equal(await page.textContent('#live'), 'connection lost');
    t.ok(await page.evaluate(() => (globalThis as any).document.body.classList.contains('lost')), 'the page is marked lost');
    const filter = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector('main')).filter as string);
    t.match(filter, /grayscale/, 'the figures are greyed out');
    const before = (await page.textContent('#uplink'))!;
    await page.waitForFunction((b) => (globalThis as any).document.querySelector('#uplink')?.textContent !== b, before, { timeout: 5_000 });
    t.match(await page.textContent('#uplink'), /^never connected: cloud unreachable since .+ \(\d+ s ago\)$/, 'ages keep counting while cut off');
    await screenshot(page, 'status-page-lost');
    t.same(errors.filter((e) => !/ERR_CONNECTION_REFUSED|status\/stream/.test(e)), [], 'no console errors besides the refused reconnects');
  });

  t.test('last seen per asset and sensor, a silent asset marked stale and ranked by severity, plain wording', async (t) => {
    const dir = tempDir();
    const gateway = await startGateway(dir);
    const browser = await openBrowser();
    t.teardown(async () => {
      await browser.close();
      await gateway.stop();
      removeDir(dir);
    });
    const now = Date.now();
    const device = await connect(gateway.mqttPort, { clientId: 'plc-1' });
    // zz-bench: a one-off run two minutes ago, one reading a second; pump-1: live.
    for (let i = 5; i > 0; i--) await publish(device, 'telemetry/zz-bench/temp', JSON.stringify({ ts: now - 120_000 - i * 1000, value: i }));
    for (let i = 5; i >= 0; i--) {
      await publish(device, 'telemetry/pump-1/temp', JSON.stringify({ ts: now - i * 1000, value: 20 + i }));
      await publish(device, 'telemetry/pump-1/rpm', JSON.stringify({ ts: now - i * 1000 - 3000, value: 900 }));
    }

    const { page, errors } = browser;
    await page.goto(`http://127.0.0.1:${gateway.httpPort}/`);
    await page.waitForSelector('[data-asset="zz-bench"][data-severity="stale"]');
    const order = await page.$$eval('#assets [data-asset]', (cards) => cards.map((c) => c.getAttribute('data-asset')));
    t.same(order, ['zz-bench', 'pump-1'], 'stale before healthy, whatever the names');
    t.match(await page.textContent('[data-asset="zz-bench"] .seen'),
      /^last seen 2 min ago — silent for more than 10 s \(usually every 1 s\)$/, 'says how long and how unusual');
    t.match(await page.textContent('[data-asset="zz-bench"] .badges'), /stale/);
    t.match(await page.textContent('[data-asset="pump-1"] .seen'), /^last seen \d+ s ago$/);
    t.equal(await page.getAttribute('[data-asset="pump-1"]', 'data-severity'), 'healthy');
    t.match(await page.textContent('[data-asset="pump-1"] .values [data-sensor="rpm"]'), /^rpm 900\.0 · \d+ s ago$/, 'last seen per sensor');
    t.match(await page.textContent('[data-asset="pump-1"] .sensor-age'), /^\d+ s ago$/, 'the shown sensor\'s age');

    // Wording: counts agree in number, empty lists say so, the empty alert row has no severity bar.
    await page.waitForFunction(() => /^1 broker client$/.test((globalThis as any).document.querySelector('#client-count')?.textContent ?? ''));
    t.equal(await page.textContent('#models tbody'), 'none', 'no models: "none", not bare headers');
    t.equal(await page.textContent('#dead-letters tbody'), 'none', 'no refused messages: "none"');
    t.equal(await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector('#alerts li.muted')).borderLeftColor),
      'rgba(0, 0, 0, 0)', 'no coloured bar on the "none" alert row');
    await endClient(device);
    await page.waitForFunction(() => /^0 broker clients$/.test((globalThis as any).document.querySelector('#client-count')?.textContent ?? ''));
    await screenshot(page, 'status-page-stale');
    t.same(errors, [], 'no console errors');
  });
}
