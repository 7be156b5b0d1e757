/**
 * The cloud's fleet view in real Chromium: logs in through the demo's `#key=` link, lists the gateway as
 * healthy, shows its page with assets charted from stored readings, then lists it offline after it stops
 * (fleet thresholds made small for the test: stale after 1.5 s, offline after 3 s without a heartbeat).
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

    await page.click(`${row} a`);
    await page.waitForSelector('#gw-assets [data-asset="engine-45"] svg.chart polyline');
    t.equal(await page.textContent('#gw-status'), 'healthy', 'gateway page status');
    await page.waitForSelector('#gw-assets [data-output="rul"]');
    t.pass('model outputs charted from stored readings');
    await screenshot(page, 'fleet-view-gateway');

    await page.goto(demo.urls!.fleetView);
    await page.waitForSelector(`${row} [data-status="healthy"]`);
    await demo.stopGateway();
    await page.waitForSelector(`${row} [data-status="offline"]`, { timeout: 30_000 });
    t.pass('the gateway is listed as offline after it stops');
    await screenshot(page, 'fleet-view-offline');
    t.same(errors, [], 'no console errors');
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
