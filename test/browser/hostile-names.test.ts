/**
 * Names that are also members of Object.prototype (`constructor`, `__proto__`, `toString`) as assets and sensors,
 * on both pages in real Chromium: the gateway's status page keeps rendering every snapshot and shows them, the
 * fleet view shows them without polluting Object.prototype, and the gateway's recent window keeps them.
 */
import t from 'tap';
import { hasChromium, NO_CHROMIUM, openBrowser } from './browser.js';
import { addKey, batch, call, openStore, startCloud } from '../cloud/helpers.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../helpers/gateway.js';

const HOSTILE: Array<[asset: string, sensor: string]> = [
  ['pump-7', 'constructor'], ['pump-7', '__proto__'], ['pump-7', 'toString'], ['__proto__', 'mode'], ['constructor', 'constructor'],
];

if (!hasChromium()) {
  t.plan(0, NO_CHROMIUM);
} else {
  t.test('status page: constructor / __proto__ names are shown and the page keeps updating', async (t) => {
    const dir = tempDir();
    const gw = await startGateway(dir);
    const browser = await openBrowser();
    t.teardown(async () => { await browser.close(); await gw.stop(); removeDir(dir); });
    const client = await connect(gw.mqttPort, { clientId: 'hostile-names' });
    for (const [asset, sensor] of HOSTILE) await publish(client, `telemetry/${asset}/${sensor}`, '1.5');

    const snapshot = await (await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/status/snapshot`)).json() as { assets: Array<{ asset: string; sensors: Record<string, unknown> }> };
    const pump = snapshot.assets.find((a) => a.asset === 'pump-7');
    t.same(Object.keys(pump?.sensors ?? {}).sort(), ['__proto__', 'constructor', 'toString'], 'the server keeps a sensor named __proto__');

    const { page, errors } = browser;
    await page.goto(`http://127.0.0.1:${gw.httpPort}/`);
    await page.waitForSelector('#live.live');
    for (const asset of ['pump-7', '__proto__', 'constructor']) await page.waitForSelector(`[data-asset="${asset}"]`);
    for (const sensor of ['constructor', '__proto__', 'toString']) {
      t.ok(await page.$(`[data-asset="pump-7"] .values [data-sensor="${sensor}"]`), `sensor ${sensor} listed`);
    }
    t.ok(await page.$('[data-asset="__proto__"] .values [data-sensor="mode"]'), 'asset __proto__ listed with its sensor');
    const before = await page.textContent('#updated');
    await publish(client, 'telemetry/pump-7/constructor', '2.5');
    await page.waitForFunction((b) => (globalThis as any).document.querySelector('#updated')?.textContent !== b, before, { timeout: 10_000 });
    t.pass('later snapshots still render');
    t.equal(await page.evaluate(() => (({}) as any).mode), undefined, 'Object.prototype untouched');
    t.same(errors, [], 'no console errors');
    await endClient(client);
  });

  t.test('fleet view: an asset __proto__ with a sensor mode does not pollute Object.prototype', async (t) => {
    const store = await openStore(t, 'sqlite');
    const cloud = await startCloud(t, store);
    const gwKey = await addKey(store, 'gateway', 'gw-hostile');
    const opKey = await addKey(store, 'operator');
    const now = Date.now();
    const b = batch('gw-hostile', [1, 2, 3, 4, 5]);
    b.readings = HOSTILE.map(([asset, sensor], i) => ({ seq: i + 1, ts: now - 5_000 + i, receivedAt: now - 5_000 + i, asset, sensor, value: i }));
    t.equal((await call(`${cloud.url}/api/v1/data/ingest`, { key: gwKey.key, body: b })).status, 200);
    const browser = await openBrowser();
    t.teardown(() => browser.close());
    const { page, errors } = browser;
    await page.goto(`${cloud.url}/#key=${encodeURIComponent(opKey.key)}`);
    await page.waitForSelector('#gateways tr[data-gateway="gw-hostile"]');
    await page.click('#gateways tr[data-gateway="gw-hostile"] a');
    for (const asset of ['pump-7', '__proto__', 'constructor']) await page.waitForSelector(`#gw-assets [data-asset="${asset}"]`);
    const options = await page.$$eval('#gw-assets [data-asset="pump-7"] option', (os) => os.map((o) => (o as any).value as string).sort());
    t.same(options, ['__proto__', 'constructor', 'toString'], 'every sensor offered');
    t.equal(await page.evaluate(() => (({}) as any).mode), undefined, 'Object.prototype untouched');
    await page.click('#crumb');
    await page.goto(`${cloud.url}/`);
    await page.waitForSelector('#gateways tr[data-gateway="gw-hostile"]');
    t.pass('the fleet list still refreshes');
    t.same(errors, [], 'no console errors');
  });
}
