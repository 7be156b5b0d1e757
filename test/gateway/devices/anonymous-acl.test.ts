/**
 * Anonymous clients' own allow list (mqtt.anonymousAllow, gateway/devices/anonymous-acl.ts): a lab broker can
 * refuse e.g. `test/nosubscribe` (SUBACK 0x80), as the Eclipse Paho interoperability suite checks.
 */
import t from 'tap';
import { AnonymousAcl, anonymousEntryProblem } from '../../../gateway/devices/anonymous-acl.js';
import { gatewayConfigSchema } from '../../../gateway/config/config.js';
import { validateConfig } from '../../../shared/config-layers.js';
import { ConfigError } from '../../../shared/errors.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

t.test('entries: read, write, readwrite, deny; deny wins', async (t) => {
  const acl = new AnonymousAcl(['readwrite #', 'deny test/nosubscribe', 'read status/#', 'write cmd/+']);
  t.ok(acl.maySubscribe('TopicA/#'));
  t.notOk(acl.maySubscribe('test/nosubscribe'), 'denied');
  t.ok(acl.mayPublish('test/other'));
  t.notOk(acl.mayPublish('test/nosubscribe'), 'deny covers publishing too');
  const narrow = new AnonymousAcl(['read status/#', 'write cmd/+']);
  t.ok(narrow.maySubscribe('status/pump-1/+'));
  t.notOk(narrow.maySubscribe('cmd/x'), 'write-only');
  t.ok(narrow.mayPublish('cmd/x'));
  t.notOk(narrow.mayPublish('status/x'), 'read-only');
  t.notOk(narrow.maySubscribe('#'), 'nothing covers #');
  t.equal(anonymousEntryProblem('bogus a/b c'), 'must be "[read|write|readwrite|deny] <topic filter>"');
  t.equal(anonymousEntryProblem('read a/#/b'), '# must be a whole, last level');
  t.throws(() => validateConfig(gatewayConfigSchema, { mqtt: { anonymousAllow: ['read a+/b'] } }, 'gateway'), ConfigError);
});

t.test('a lab broker refuses test/nosubscribe to anonymous clients and allows the rest', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: true, anonymousAllow: ['readwrite #', 'deny test/nosubscribe'] } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const c = await connect(gw.mqttPort, { clientId: 'paho-interop' });
  const granted = await c.subscribeAsync(['TopicA/#', 'test/nosubscribe'], { qos: 1 })
    .then((g) => g.map((x) => x.qos), (err: { packet?: { granted?: number[] } }) => err.packet?.granted);
  t.same(granted, [1, 128], 'SUBACK 0x80 for test/nosubscribe');
  await c.publishAsync('TopicA/B', 'x', { qos: 1 });
  await endClient(c);
});
