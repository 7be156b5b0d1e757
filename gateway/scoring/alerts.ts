/**
 * Threshold alerts with hysteresis and hold times: a threshold raises once when the value has stayed across `value`
 * for its hold time (`for`), and clears once the value has stayed back past `clear` for `clearFor`; nothing is
 * emitted in between, so one fault gives one raise and one clear, and a single outlier gives neither. Time is the
 * readings' own time, so a replay or a backlog behaves as it did live.
 * State is per (asset, model name, output, threshold), not per version, so a hot swap does not re-raise.
 */
import type { ManifestThreshold } from '../../shared/ml/manifest.js';

export interface AlertEvent {
  id: string;
  asset: string;
  model: string;
  version: string;
  output: string;
  severity: string;
  state: 'raised' | 'cleared';
  value: number;
  threshold: number;
  ts: number;
}

/**
 * One threshold's state: raised (id set) or not, and since when the value has been on the other side (the start
 * of a hold that has not yet lasted long enough).
 */
interface ThresholdState {
  id: string | undefined;
  since: number | undefined;
}

/** States of one (asset, model name, output): by threshold severity, then threshold index. */
type States = Map<string, Array<ThresholdState | undefined>>;

export class AlertTracker {
  /**
   * asset → model name → output → states. Nested maps, so no key string is built per scored value; entries are
   * created only when a condition first holds. The (index, severity) pair names a threshold as the former
   * `asset/model/output/severity/index` key did, so versions that order their thresholds differently keep apart.
   */
  readonly #raised = new Map<string, Map<string, Map<string, States>>>();
  readonly #defaultForMs: number;

  /** `defaultForMs`: hold time of thresholds that set no `for` (the gateway's scoring.alertForMs). */
  constructor(options: { defaultForMs?: number } = {}) {
    this.#defaultForMs = options.defaultForMs ?? 0;
  }

  /** Assets with any alert state held (state is kept only while something is raised or pending). */
  get trackedAssets(): number {
    return this.#raised.size;
  }

  /**
   * Appends to `out` the events of one scored value (thresholds of other outputs are ignored); allocates nothing
   * while nothing changes.
   */
  evaluate(out: AlertEvent[], asset: string, model: string, version: string, output: string, value: number, ts: number,
    thresholds: readonly ManifestThreshold[]): void {
    if (!Number.isFinite(value)) return;
    let states: States | undefined;
    let looked = false;
    for (let index = 0; index < thresholds.length; index++) {
      const t = thresholds[index]!;
      if (t.output !== output) continue;
      if (!looked) {
        states = this.#raised.get(asset)?.get(model)?.get(output);
        looked = true;
      }
      const list = states?.get(t.severity);
      const state = list?.[index];
      const forMs = t.for ?? this.#defaultForMs;
      if (state?.id === undefined) {
        const crossed = t.when === 'above' ? value > t.value : value < t.value;
        if (!crossed) {
          if (state) list![index] = undefined; // a pending hold is broken: forget it
          continue;
        }
        const since = state?.since ?? ts;
        if (ts - since < forMs) {
          if (!state) this.#put(asset, model, output, t.severity, index, { id: undefined, since });
          continue;
        }
        const id = `${asset}/${model}/${t.output}/${t.severity}/${ts}`;
        this.#put(asset, model, output, t.severity, index, { id, since: undefined });
        out.push({ asset, model, version, output, severity: t.severity, value, ts, id, state: 'raised', threshold: t.value });
      } else {
        const clearAt = t.clear ?? t.value;
        const back = t.when === 'above' ? value <= clearAt : value >= clearAt;
        if (!back) {
          state.since = undefined;
          continue;
        }
        state.since ??= ts;
        if (ts - state.since < (t.clearFor ?? forMs)) continue;
        list![index] = undefined;
        out.push({ asset, model, version, output, severity: t.severity, value, ts, id: state.id, state: 'cleared', threshold: clearAt });
      }
    }
  }

  /** Alerts currently raised for an asset (ids). */
  active(asset: string): string[] {
    const out: string[] = [];
    for (const outputs of this.#raised.get(asset)?.values() ?? []) {
      for (const states of outputs.values()) {
        for (const list of states.values()) for (const s of list) if (s?.id !== undefined) out.push(s.id);
      }
    }
    return out;
  }

  #put(asset: string, model: string, output: string, severity: string, index: number, state: ThresholdState): void {
    let models = this.#raised.get(asset);
    if (!models) this.#raised.set(asset, (models = new Map()));
    let outputs = models.get(model);
    if (!outputs) models.set(model, (outputs = new Map()));
    let states = outputs.get(output);
    if (!states) outputs.set(output, (states = new Map()));
    let list = states.get(severity);
    if (!list) states.set(severity, (list = []));
    list[index] = state;
  }
}
