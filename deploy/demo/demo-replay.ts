/**
 * The demo's C-MAPSS replay, told as a story: FD001 training engines, each replayed over its whole recorded run
 * to failure, one cycle at a time, so remaining useful life visibly falls. The engines start at staggered stages
 * of their runs: the first is 75 cycles from failure and crosses the RUL warning threshold (50) within the first
 * minute at the demo's rate, two follow, and the longest run stays healthy for minutes. An engine that reaches
 * failure is replaced: its run starts again from cycle 1. Messages are the shape `smartmaint simulate --dataset
 * cmapss` publishes.
 */
import type { Engine } from '../../shared/ml/datasets.js';
import type { ReplayMessage } from '../../gateway/tools/simulate/replay-sources.js';

export interface DemoEngine {
  /** FD001 training unit (recorded until failure). */
  unit: number;
  /** Cycles left before failure where the replay starts. */
  startRul: number;
}

export const DEMO_ENGINES: readonly DemoEngine[] = [
  { unit: 1, startRul: 75 },
  { unit: 3, startRul: 115 },
  { unit: 4, startRul: 155 },
  // The longest run (362 cycles): healthy (RUL above the model's cap of 125) for its first 236 cycles.
  { unit: 69, startRul: 361 },
];

export function* demoMessages(train: readonly Engine[], engines: readonly DemoEngine[] = DEMO_ENGINES): Generator<ReplayMessage> {
  const runs = engines
    .map((d) => ({ d, e: train.find((e) => e.unit === d.unit) }))
    .filter((x): x is { d: DemoEngine; e: Engine } => x.e !== undefined && x.e.rows.length > 0)
    .map(({ d, e }) => ({ unit: e.unit, rows: e.rows, position: Math.max(0, e.rows.length - 1 - d.startRul) }));
  if (runs.length === 0) return;
  for (;;) {
    for (const run of runs) {
      const row = run.rows[run.position]!;
      run.position = (run.position + 1) % run.rows.length;
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (k !== 'unit') values[k] = v;
      yield { topic: `telemetry/engine-${run.unit}`, values };
    }
  }
}
