/**
 * The gateway's status page in real Chromium, against a running demo (cloud + gateway + C-MAPSS replay):
 * loads without console errors, shows a live value changing, shows an alert after a degrading engine is
 * replayed (its RUL chart labelled: cycles, time, thresholds with where they clear), exports CSV for a range, and says "API key rejected" when the cloud refuses the gateway's key.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { hasChromium, NO_CHROMIUM, screenshot } from './browser.js';
import { demoInBrowser } from './demo-fixture.js';

if (!hasChromium()) {
  t.plan(0, NO_CHROMIUM);
} else {
  t.test('live page: values change, an alert fires, CSV export of a range', async (t) => {
    const { demo, page, errors } = await demoInBrowser(t);
    await page.goto(demo.urls!.statusPage);
    await page.waitForSelector('#live.live');
    t.equal(await page.textContent('#gateway-id'), 'demo-gateway', 'the page names the gateway');

    // A live value: the healthy engine's shown sensor value changes between snapshots.
    const value = '[data-asset="engine-69"] .sensor-value';
    await page.waitForFunction((sel) => {
      const e = (globalThis as any).document.querySelector(sel);
      return e !== null && e.textContent !== '–' && e.textContent !== '';
    }, value);
    const first = await page.textContent(value);
    await page.waitForFunction(([sel, before]) => (globalThis as any).document.querySelector(sel!)?.textContent !== before, [value, first] as const);
    t.not(await page.textContent(value), first, 'engine-69 value changes live');
    // The cloud may answer 503 for a moment on a loaded machine (the sync retries): any of the plain-word states.
    t.match(await page.textContent('#uplink'), /^(synced \(last contact \d+ s ago\)|backlog \d+ readings, oldest .+ ago|cloud unreachable since .+)$/, 'uplink in plain words');
    t.ok(Number(await page.textContent('#ingest-rate')) > 0, 'ingest rate shown');
    t.match(await page.textContent('#clients tbody'), /smartmaint-demo-replay/, 'the replay is listed as a broker client');
    t.match(await page.textContent('#models tbody'), /turbofan-rul/, 'models loaded are listed');

    // A degrading engine crosses the RUL warning threshold: the alert is shown.
    await page.waitForSelector('#alerts li.warning, #alerts li.critical', { timeout: 90_000 });
    const alert = await page.textContent('#alerts');
    t.match(alert, /engine-(1|3|4): (warning|critical) — rul/, 'an RUL alert on a degrading engine');
    t.ok(await page.$('[data-asset] [data-output="rul"] svg.chart polyline'), 'RUL chart drawn');
    t.ok(await page.$('[data-asset] [data-output="rul"] svg.chart line.t-warning'), 'threshold line drawn');
    // The chart tells its story: RUL in cycles, time along the x axis, thresholds with where they raise and clear.
    const rul = '[data-asset] [data-output="rul"]';
    t.match(await page.textContent(`${rul} .label`), /^rul \(cycles\) · turbofan-rul 1\.0\.0/, 'output named with its unit');
    t.match(await page.textContent(`${rul} .y-max`), /cycles$/, 'value axis in cycles');
    t.equal(await page.textContent(`${rul} .x-name`), 'time', 'time on the x axis');
    t.match(await page.textContent(`${rul} .x-axis`), /^\d\d:\d\d:\d\dtime\d\d:\d\d:\d\d$/, 'from and to times');
    t.match(await page.textContent(`${rul} .legend`), /warning below 50, clears at 60 cycles.*critical below 20, clears at 30 cycles/, 'legend');
    t.ok(await page.$(`${rul} svg.chart line.t-clear`), 'the line an alert clears at');
    await screenshot(page, 'status-page-alert');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    t.ok(overflow <= 390, `usable on a phone: no sideways scrolling of the page (${overflow}px wide)`);
    await screenshot(page, 'status-page-phone');
    await page.setViewportSize({ width: 1100, height: 900 });

    // Export: a range ending now, as CSV, through the page's own download link.
    const to = Date.now();
    const from = to - 20_000;
    await page.selectOption('#export select[name=asset]', 'engine-69');
    // datetime-local takes local wall time; the browser runs on this machine, in this process's time zone.
    const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.fill('#export input[name=from]', local(from));
    await page.fill('#export input[name=to]', local(to));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    t.equal(csv[0], 'seq,ts,time,asset,sensor,value,unit,quality,source', 'CSV header');
    t.ok(csv.length > 10, `CSV has rows (${csv.length - 1})`);
    const rows = csv.slice(1).map((l) => l.split(','));
    // The inputs have one-second resolution: the range is [from rounded down, to rounded down).
    const lo = Math.floor(from / 1000) * 1000;
    const hi = Math.floor(to / 1000) * 1000;
    t.ok(rows.every((r) => r[3] === 'engine-69'), 'only the chosen asset');
    t.ok(rows.every((r) => Number(r[1]) >= lo && Number(r[1]) < hi), 'only readings inside the range');
    t.match(download.suggestedFilename(), /^demo-gateway-engine-69-.*\.csv$/, 'named after gateway, asset and range');

    t.same(errors, [], 'no console errors');
  });

  t.test('uplink reads "API key rejected" when the cloud refuses the key', async (t) => {
    const { demo, page, errors } = await demoInBrowser(t, { rate: 8, gatewayApiKey: `smk_000000000000_${'A'.repeat(43)}` });
    await page.goto(demo.urls!.statusPage);
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#uplink')?.textContent === 'API key rejected');
    t.equal(await page.getAttribute('#uplink', 'class'), 'big state-key-rejected', 'shown as a fault');
    await screenshot(page, 'status-page-key-rejected');
    t.same(errors, [], 'no console errors');
  });
}
