/**
 * The cloud's fleet view in real Chromium: logs in through the demo's `#key=` link, lists the gateway as
 * healthy, marks it with the severity of its open alerts, shows its page with assets charted from stored
 * readings (alerting assets first, with badges, threshold lines and a legend), reads at 400 px (the table scrolls,
 * the sensor row is aligned), then lists it offline after it stops (fleet thresholds made small for the test:
 * stale after 1.5 s, offline after 3 s without a heartbeat).
 */
import t from 'tap';
import { hasChromium, NO_CHROMIUM, screenshot } from './browser.js';
import { demoInBrowser } from './demo-fixture.js';

if (!hasChromium()) {
  t.plan(0, NO_CHROMIUM);
} else {
  t.test('fleet view: healthy, gateway page, then offline', async (t) => {
    const { demo, page, errors } = await demoInBrowser(t, { rate: 20, fleet: { staleAfterMs: 1_500, offlineAfterMs: 3_000 } });
    const row = '#gateways tr[data-gateway="demo-gateway"]';

    await page.goto(demo.urls!.fleetLogin);
    t.equal(new URL(page.url()).hash, '', 'the key is taken out of the address bar');
    await page.waitForSelector(`${row} [data-status="healthy"]`);
    t.pass('the gateway is listed as healthy');
    t.match(await page.textContent(row), /turbofan-rul 1\.0\.0/, 'model versions from the heartbeat');
    await screenshot(page, 'fleet-view-healthy');

    // An engine of the demo raises its RUL alert: the gateway's row carries its severity.
    await page.waitForSelector(`${row}[data-severity] .open-alerts .badge`, { timeout: 90_000 });
    t.match(await page.getAttribute(row, 'data-severity'), /^(warning|critical)$/, 'an alerting gateway is marked');
    t.match(await page.textContent(`${row} .open-alerts`), /^\d+ (critical|warning)/, 'open alerts as severity badges');

    // At 400 px the table scrolls sideways inside its box; the page itself does not, and no column is cut.
    await page.setViewportSize({ width: 400, height: 800 });
    const widths = await page.evaluate(() => {
      const d = (globalThis as any).document;
      const box = d.querySelector('#fleet .scroll');
      return { page: d.documentElement.scrollWidth as number, box: box.clientWidth as number, table: box.scrollWidth as number };
    });
    t.ok(widths.page <= 400, `the page fits 400 px (${widths.page})`);
    t.ok(widths.table > widths.box, `the table scrolls within its box (${widths.table} in ${widths.box})`);
    await screenshot(page, 'fleet-view-400');
    await page.setViewportSize({ width: 1100, height: 900 });

    await page.click(`${row} a`);
    await page.waitForSelector('#gw-assets [data-asset="engine-69"] svg.chart polyline');
    t.equal(await page.textContent('#gw-status'), 'healthy', 'gateway page status');
    await page.waitForSelector('#gw-assets [data-output="rul"]');
    t.pass('model outputs charted from stored readings');
    const firstCard = '#gw-assets .asset:first-child';
    await page.waitForSelector(`${firstCard} svg.chart line.t-warning`, { state: 'attached' });
    t.match(await page.getAttribute(firstCard, 'data-severity'), /^(warning|critical)$/, 'the alerting asset comes first');
    t.match(await page.textContent(`${firstCard} h3`), /(warning|critical): rul/, 'with its alert as a badge');
    // The cloud learns a threshold from the alert events it stores (a clear value once an alert has cleared).
    t.match(await page.textContent(`${firstCard} .legend`), /warning at 50/, 'a legend of the thresholds');
    const pick = await page.evaluate(() => {
      const label = (globalThis as any).document.querySelector('#gw-assets .sensor-pick');
      const select = label.querySelector('select');
      return { label: label.getBoundingClientRect().left as number, select: select.getBoundingClientRect().left as number };
    });
    t.ok(pick.select - pick.label < 100, `the sensor picker sits next to its label (${pick.select - pick.label} px)`);
    await screenshot(page, 'fleet-view-gateway');

    await page.goto(demo.urls!.fleetView);
    await page.waitForSelector(`${row} [data-status="healthy"]`);

    // The cloud stops answering: the figures on screen are greyed and dated, not passed off as current.
    await page.route('**/api/v1/**', (route) => route.abort());
    await page.waitForSelector('#lost:not([hidden])', { timeout: 15_000 });
    t.match(await page.textContent('#lost'), /^connection to the cloud lost — figures are from /);
    t.match(await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector('main')).filter as string), /grayscale/);
    await page.unroute('**/api/v1/**');
    await page.waitForSelector('#lost', { state: 'hidden', timeout: 15_000 });
    t.pass('live again once the cloud answers');
    await demo.stopGateway();
    await page.waitForSelector(`${row} [data-status="offline"]`, { timeout: 30_000 });
    t.pass('the gateway is listed as offline after it stops');
    await screenshot(page, 'fleet-view-offline');
    t.same(errors.filter((e) => !/net::ERR_FAILED/.test(e)), [], 'no console errors besides the requests the test aborted');
  });

  t.test('a wrong operator key brings back the login form', async (t) => {
    const { demo, page } = await demoInBrowser(t, { rate: 0 });
    await page.goto(demo.urls!.fleetView);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#login-form input[name=key]', `smk_000000000000_${'A'.repeat(43)}`);
    await page.click('#login-form button');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#login-error')?.textContent === 'key not recognised');
    t.pass('refused key reported');
    await page.fill('#login-form input[name=key]', demo.operatorKey);
    await page.click('#login-form button');
    await page.waitForSelector('#fleet:not([hidden])');
    t.pass('the right key opens the fleet list');
  });
}
