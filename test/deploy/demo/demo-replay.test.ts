import t from 'tap';
import { loadFd001 } from '../../../shared/ml/datasets.js';
import { DEMO_ENGINES, demoMessages } from '../../../deploy/demo/demo-replay.js';

t.test('the demo replays whole runs to failure, round-robin, at staggered stages, in the simulator\'s message shape', async (t) => {
  const { train } = loadFd001();
  const gen = demoMessages(train);
  const first = Array.from({ length: DEMO_ENGINES.length * 2 }, () => gen.next().value!);
  t.same(first.slice(0, 4).map((m) => m.topic), DEMO_ENGINES.map((d) => `telemetry/engine-${d.unit}`));
  t.same(Object.keys(first[0]!.values).sort(), ['cycle', 'setting1', 'setting2', 'setting3',
    ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`)].sort(), 'all columns but unit');
  t.equal(first[4]!.values.cycle! - first[0]!.values.cycle!, 1, 'next cycle of the same engine');
  // Remaining cycles at the start, from the recorded run length: the story's staggered stages.
  const left = DEMO_ENGINES.map((d, i) => train.find((e) => e.unit === d.unit)!.rows.length - first[i]!.values.cycle!);
  t.same(left, DEMO_ENGINES.map((d) => d.startRul), 'each engine starts where its story needs it');
  t.ok(left[0]! > 50 && left[0]! - 50 < 40, 'the first engine crosses the RUL warning threshold (50) within 40 cycles');
  t.ok(left[3]! > 125 + 60, 'one engine stays healthy (above the model\'s cap of 125) for minutes');
});

t.test('an engine that reaches failure starts a new run from cycle 1', async (t) => {
  const { train } = loadFd001();
  const engine = { unit: 1, startRul: 2 };
  const gen = demoMessages(train, [engine]);
  const cycles = Array.from({ length: 4 }, () => gen.next().value!.values.cycle);
  const length = train.find((e) => e.unit === 1)!.rows.length;
  t.same(cycles, [length - 2, length - 1, length, 1]);
});
