/**
 * The demo runs for days: its gateway prunes synced readings and keeps its outbox under a disk budget, and its
 * cloud prunes old readings.
 */
import t from 'tap';
import { DEMO_DEFAULTS } from '../../../deploy/demo/demo.js';
import { startDemo } from '../../browser/demo-fixture.js';

t.test('the demo gateway has retention and a disk budget', async (t) => {
  const { demo, cleanup } = await startDemo({ rate: 0 });
  t.teardown(cleanup);
  const config = demo.gateway!.config;
  t.equal(config.retention.syncedMaxAgeMs, DEMO_DEFAULTS.retention.syncedMaxAgeMs, 'synced readings are pruned');
  t.ok(config.retention.syncedMaxAgeMs <= 6 * 3_600_000, 'within hours, not the 7-day default');
  t.equal(config.outbox.maxBytes, DEMO_DEFAULTS.retention.outboxMaxBytes, 'the outbox has a budget');
  t.equal(config.outbox.whenFull, 'drop-oldest');
  t.ok(demo.gateway!.budget.enabled, 'the budget is enforced');
  t.equal(demo.cloud!.config.retention.readingsMaxAgeMs, DEMO_DEFAULTS.retention.cloudReadingsMaxAgeMs, 'the cloud prunes old readings');
});
