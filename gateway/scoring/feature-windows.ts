/**
 * Recent readings per asset and sensor, kept just long enough for the models that read them, and the feature
 * vectors computed from them. Retention is the union of the loaded models' needs (it only grows while the
 * process runs, so a hot-swapped version finds the history it needs).
 */
import { AGGREGATION_INDEX, aggregate, aggregateAll } from '../../shared/ml/aggregations.js';
import type { ManifestInput } from '../../shared/ml/manifest.js';
import { grown } from './grow.js';

/** Bound on readings kept per (asset, sensor) for windows measured in seconds, whatever the rate. */
export const MAX_READINGS_PER_SENSOR = 10_000;
/** Readings a series may hold beyond twice what it keeps before old ones are dropped. */
const SLACK = 32;

/**
 * One (asset, sensor) series: readings in [0, n) of two typed arrays. Old readings are dropped by moving the kept
 * ones to the front (copyWithin), so a series in its steady state allocates nothing; a JS array dropped with
 * splice() allocated the removed part and, regrowing, a new backing store every cycle.
 */
interface Series {
  ts: Float64Array;
  values: Float64Array;
  n: number;
}

const INITIAL_CAPACITY = 64;

export class FeatureWindows {
  readonly #assets = new Map<string, Map<string, Series>>();
  readonly #keepReadings = new Map<string, number>();
  readonly #keepMs = new Map<string, number>();
  readonly #scratch = new Float64Array(7);

  /** Declares what an input needs; call for every model version loaded. */
  require(input: ManifestInput): void {
    if ('message' in input) {
      for (const s of input.message) this.#keepReadings.set(s, Math.max(1, this.#keepReadings.get(s) ?? 1));
      return;
    }
    for (const f of input.features) {
      if ('readings' in f.window) {
        this.#keepReadings.set(f.sensor, Math.max(f.window.readings, this.#keepReadings.get(f.sensor) ?? 1));
      } else {
        this.#keepMs.set(f.sensor, Math.max(f.window.seconds * 1000, this.#keepMs.get(f.sensor) ?? 0));
        this.#keepReadings.set(f.sensor, Math.max(1, this.#keepReadings.get(f.sensor) ?? 1));
      }
    }
  }

  /** Whether any loaded model reads this sensor (others are not kept). */
  wants(sensor: string): boolean {
    return this.#keepReadings.has(sensor);
  }

  /**
   * Appends reading `k` of two columns (a ScoringBatch's ts and value) to the (asset, sensor) series. Passing the
   * columns and an index instead of two numbers keeps V8 from boxing both doubles into heap numbers on every call.
   */
  pushAt(asset: string, sensor: string, tsColumn: ArrayLike<number>, valueColumn: ArrayLike<number>, k: number): void {
    const ts = tsColumn[k]!;
    const value = valueColumn[k]!;
    const keepN = this.#keepReadings.get(sensor);
    if (keepN === undefined) return;
    let sensors = this.#assets.get(asset);
    if (!sensors) this.#assets.set(asset, (sensors = new Map()));
    let s = sensors.get(sensor);
    if (!s) sensors.set(sensor, (s = { ts: new Float64Array(INITIAL_CAPACITY), values: new Float64Array(INITIAL_CAPACITY), n: 0 }));
    if (s.n === s.ts.length) {
      s.ts = grown(s.ts, s.n * 2);
      s.values = grown(s.values, s.n * 2);
    }
    s.ts[s.n] = ts;
    s.values[s.n] = value;
    s.n++;
    // Old readings are dropped in chunks, not one per push: vector() reads windows from the end (by count or by
    // time), so readings older than needed are never read, and one move per keepN pushes stays cheap.
    const n = s.n;
    if (n < 2 * keepN + SLACK) return;
    const keepMs = this.#keepMs.get(sensor);
    let drop = 0;
    if (keepMs === undefined) drop = n - keepN;
    else {
      const limit = ts - keepMs;
      // keep the last keepN readings whatever their age, and anything younger than the longest time window
      while (drop < n - keepN && s.ts[drop]! <= limit) drop++;
      drop = Math.max(drop, n - MAX_READINGS_PER_SENSOR);
    }
    if (drop > 0) {
      s.ts.copyWithin(0, drop, n);
      s.values.copyWithin(0, drop, n);
      s.n = n - drop;
    }
  }

  /**
   * Writes the input vector for `asset` at event time `ts` into `out` from `offset` (the scoring engine fills one
   * feature matrix per model run, so no array is allocated per event), or says why it cannot be built:
   * `incomplete` when a message input lacks a sensor at exactly `ts` or a window has no reading; `filling` while a
   * window holds fewer readings than its feature's minReadings. In those cases what was written is to be ignored.
   */
  vectorInto(asset: string, input: ManifestInput, ts: number, out: Float64Array, offset: number): 'ok' | 'incomplete' | 'filling' {
    const sensors = this.#assets.get(asset);
    if (!sensors) return 'incomplete';
    if ('message' in input) {
      for (let i = 0; i < input.message.length; i++) {
        const s = sensors.get(input.message[i]!);
        const at = s && s.n > 0 ? s.ts.lastIndexOf(ts, s.n - 1) : -1;
        if (!s || at < 0) return 'incomplete';
        out[offset + i] = s.values[at]!;
      }
      return 'ok';
    }
    // Features over the same readings of one sensor (s2.mean, s2.std, s2.slope…) share one aggregateAll().
    const all = this.#scratch;
    let allOf: Series | undefined;
    let allFrom = -1;
    let allTo = -1;
    for (let i = 0; i < input.features.length; i++) {
      const f = input.features[i]!;
      const s = sensors.get(f.sensor);
      if (!s || s.n === 0) return 'incomplete';
      let end = s.n;
      while (end > 0 && s.ts[end - 1]! > ts) end--; // readings after the event (later in the same batch) do not count
      let start: number;
      if ('readings' in f.window) {
        start = Math.max(0, end - f.window.readings);
        if (end - start === 0 && f.aggregation !== 'count') return 'incomplete';
        if (end - start < (f.minReadings ?? 1)) return 'filling';
        if (end === start) out[offset + i] = 0; // count of an empty window
        else {
          if (allOf !== s || allFrom !== start || allTo !== end) {
            aggregateAll(s.values, start, end, all);
            allOf = s;
            allFrom = start;
            allTo = end;
          }
          out[offset + i] = all[AGGREGATION_INDEX[f.aggregation]]!;
        }
      } else {
        const from = ts - f.window.seconds * 1000;
        start = end;
        while (start > 0 && s.ts[start - 1]! > from) start--;
        if (end - start === 0 && f.aggregation !== 'count') return 'incomplete';
        if (end - start < (f.minReadings ?? 1)) return 'filling';
        // slope per second: x in seconds, relative to the window start to keep the sums well conditioned
        const t0 = s.ts[start]!; // the window is not empty here: slope needs readings
        const xs = f.aggregation === 'slope' ? s.ts.slice(start, end).map((t) => (t - t0) / 1000) : undefined;
        out[offset + i] = xs ? aggregate('slope', s.values.slice(start, end), xs) : aggregate(f.aggregation, s.values, undefined, start, end);
      }
    }
    return 'ok';
  }

  /** Sensors an input reads (an event must carry at least one of them to trigger scoring). */
  static sensorsOf(input: ManifestInput): Set<string> {
    return new Set('message' in input ? input.message : input.features.map((f) => f.sensor));
  }
}
