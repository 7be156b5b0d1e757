import t from 'tap';
import { loadFd001 } from '../../../models/train/datasets.js';
import { DEMO_ENGINES, demoMessages } from '../../../shared/demo/demo-replay.js';

t.test('the demo replays its engines round-robin, staggered, in the simulator\'s message shape', async (t) => {
  const { test, testRul } = loadFd001();
  const gen = demoMessages(test);
  const first = Array.from({ length: DEMO_ENGINES.length * 2 }, () => gen.next().value!);
  t.same(first.slice(0, 4).map((m) => m.topic), DEMO_ENGINES.map((u) => `telemetry/engine-${u}`));
  t.same(Object.keys(first[0]!.values).sort(), ['cycle', 'setting1', 'setting2', 'setting3',
    ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`)].sort(), 'all columns but unit');
  t.equal(first[4]!.values.cycle! - first[0]!.values.cycle!, 1, 'next cycle of the same engine');
  const [a, b] = [first[0]!.values.cycle!, first[1]!.values.cycle!];
  t.not(a, b, 'engines start at different points of their runs');
  // Three engines end close to failure, one far from it: the story the demo tells.
  t.same(DEMO_ENGINES.map((u) => testRul[u - 1]! <= 10), [true, true, true, false]);
});
