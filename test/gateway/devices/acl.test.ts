import t from 'tap';
import { aclPatternProblem, DeviceAcl, filterCovers, filterMatches } from '../../../gateway/devices/acl.js';

const split = (s: string) => s.split('/');

t.test('allow entries: devices never get #, leading wildcards or $-topics', async (t) => {
  for (const bad of ['#', '+/#', '+/x', '$SYS/#', 'a/#/b', 'a/b#', 'a/+x', 'pump-#', '']) t.not(aclPatternProblem(bad), null, bad);
  for (const ok of ['telemetry/pump-7/#', 'alerts/+', 'pump-*', 'engine-?', 'line1']) t.equal(aclPatternProblem(ok), null, ok);
  t.throws(() => new DeviceAcl(['#']));
});

t.test('topic filter matching and covering (MQTT-4.7)', async (t) => {
  t.ok(filterMatches(split('a/+/c'), split('a/b/c')));
  t.ok(filterMatches(split('a/#'), split('a')), '# matches the parent level too');
  t.ok(filterMatches(split('a/#'), split('a/b/c')));
  t.notOk(filterMatches(split('a/+'), split('a/b/c')));
  t.notOk(filterMatches(split('a/b'), split('a')));
  t.ok(filterCovers(split('a/#'), split('a/+/c')));
  t.ok(filterCovers(split('a/+/c'), split('a/b/c')));
  t.notOk(filterCovers(split('a/+/c'), split('a/#')));
  t.notOk(filterCovers(split('a/b/c'), split('a/+/c')));
  t.notOk(filterCovers(split('a/+'), split('a/b/c')));
});

t.test('publish, HTTP write and subscribe decisions', async (t) => {
  const acl = new DeviceAcl(['pump-*', 'status/plc-1/#']);
  t.ok(acl.mayPublish('telemetry/pump-7/temp', { asset: 'pump-7', sensor: 'temp' }), 'asset glob on a telemetry topic');
  t.notOk(acl.mayPublish('telemetry/mill-1/temp', { asset: 'mill-1', sensor: 'temp' }));
  t.notOk(acl.mayPublish('other/pump-7', undefined), 'an asset glob does not grant non-telemetry topics');
  t.ok(acl.mayPublish('status/plc-1/online', undefined));
  t.ok(acl.mayWriteReading('pump-2', 'vibration'));
  t.notOk(acl.mayWriteReading('mill-2', 'vibration'));
  t.ok(acl.maySubscribe('status/plc-1/+'));
  t.ok(acl.maySubscribe('alerts/pump-7'), 'an asset glob grants that asset\'s alerts');
  t.notOk(acl.maySubscribe('alerts/+'));
  t.notOk(acl.maySubscribe('#'));
  t.notOk(acl.maySubscribe('$SYS/broker/uptime'));
  t.notOk(acl.maySubscribe('status/#'));
  const topics = new DeviceAcl(['telemetry/line-1/#']);
  t.ok(topics.mayWriteReading('line-1', 'temperature'), 'HTTP writes are checked as telemetry/{asset}/{sensor}');
  t.notOk(topics.mayWriteReading('line-2', 'temperature'));
  t.notOk(new DeviceAcl([]).mayPublish('telemetry/a/b', { asset: 'a', sensor: 'b' }), 'an empty list grants nothing');
});
