import t from 'tap';
import { TopicMatcher } from '../../../gateway/ingest/topics.js';

t.test('default patterns', async (t) => {
  const m = new TopicMatcher(['telemetry/{asset}/{sensor}', 'telemetry/{asset}']);
  t.same(m.match('telemetry/pump-7/temp'), { asset: 'pump-7', sensor: 'temp' });
  t.same(m.match('telemetry/pump-7'), { asset: 'pump-7', sensor: undefined });
  t.equal(m.match('telemetry'), undefined);
  t.equal(m.match('telemetry/a/b/c'), undefined);
  t.equal(m.match('/test'), undefined);
  t.equal(m.match('alerts/pump-7'), undefined);
  t.equal(m.match('telemetry//temp'), undefined, 'empty asset level is not telemetry');
});

t.test('custom patterns with literals after placeholders', async (t) => {
  const m = new TopicMatcher(['site/plant-1/{asset}/data/{sensor}', 'plc/{asset}/bulk']);
  t.same(m.match('site/plant-1/press-2/data/force'), { asset: 'press-2', sensor: 'force' });
  t.equal(m.match('site/plant-2/press-2/data/force'), undefined);
  t.same(m.match('plc/line-3/bulk'), { asset: 'line-3', sensor: undefined });
});
