/**
 * The demo's C-MAPSS replay: a few FD001 test engines chosen so the page tells a story within a minute —
 * three engines whose recorded run ends a handful of cycles before failure (true RUL 7–8) and one healthy
 * engine (true RUL 114). Each engine replays its last `cycles` recorded cycles, round-robin, forever; the
 * engines start at staggered points of their run, so one of them reaches its alert threshold within seconds
 * and the others follow. Messages are the same shape as `smartmaint simulate --dataset cmapss` publishes.
 */
import type { Engine } from '../../models/train/datasets.js';
import type { ReplayMessage } from '../../gateway/simulate/replay-sources.js';

/** FD001 test units: 34, 68, 31 end 7–8 cycles before failure; 45 ends 114 cycles before it. */
export const DEMO_ENGINES: readonly number[] = [31, 34, 68, 45];

export function* demoMessages(test: readonly Engine[], units: readonly number[] = DEMO_ENGINES, cycles = 150): Generator<ReplayMessage> {
  const runs = units
    .map((u) => test.find((e) => e.unit === u))
    .filter((e): e is Engine => e !== undefined && e.rows.length > 0)
    .map((e) => ({ unit: e.unit, rows: e.rows.slice(-cycles) }));
  if (runs.length === 0) return;
  // Staggered starts: engine i begins at i/n of its run (the healthy one last, it has nothing to show).
  const position = runs.map((r, i) => Math.floor((r.rows.length * (runs.length - 1 - i)) / runs.length));
  for (;;) {
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      const row = run.rows[position[i]!]!;
      position[i] = (position[i]! + 1) % run.rows.length;
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (k !== 'unit') values[k] = v;
      yield { topic: `telemetry/engine-${run.unit}`, values };
    }
  }
}
