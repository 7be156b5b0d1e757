/**
 * Threshold alerts with hysteresis: a threshold raises once when the value crosses `value`, and clears once when
 * the value is back past `clear`; nothing is emitted in between, so one fault gives one raise and one clear.
 * State is per (asset, model name, output, threshold), not per version, so a hot swap does not re-raise.
 */
import type { ManifestThreshold } from './manifest.js';

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

/** Ids of raised alerts of one (asset, model name, output): by threshold severity, then threshold index. */
type RaisedIds = Map<string, Array<string | undefined>>;

export class AlertTracker {
  /**
   * asset → model name → output → raised ids. Nested maps, so no key string is built per scored value; entries are
   * created only when an alert is raised. The (index, severity) pair names a threshold as the former
   * `asset/model/output/severity/index` key did, so versions that order their thresholds differently keep apart.
   */
  private readonly raised = new Map<string, Map<string, Map<string, RaisedIds>>>();

  /**
   * Appends to `out` the events of one scored value (thresholds of other outputs are ignored); allocates nothing
   * while nothing changes.
   */
  evaluate(out: AlertEvent[], asset: string, model: string, version: string, output: string, value: number, ts: number,
    thresholds: readonly ManifestThreshold[]): void {
    if (!Number.isFinite(value)) return;
    let ids: RaisedIds | undefined;
    let looked = false;
    for (let index = 0; index < thresholds.length; index++) {
      const t = thresholds[index]!;
      if (t.output !== output) continue;
      if (!looked) {
        ids = this.raised.get(asset)?.get(model)?.get(output);
        looked = true;
      }
      const bySeverity = ids?.get(t.severity);
      const current = bySeverity?.[index];
      if (current === undefined) {
        const crossed = t.when === 'above' ? value > t.value : value < t.value;
        if (!crossed) continue;
        const id = `${asset}/${model}/${t.output}/${t.severity}/${ts}`;
        ids ??= this.create(asset, model, output);
        let list = ids.get(t.severity);
        if (!list) ids.set(t.severity, (list = []));
        list[index] = id;
        out.push({ asset, model, version, output, severity: t.severity, value, ts, id, state: 'raised', threshold: t.value });
      } else {
        const clearAt = t.clear ?? t.value;
        const back = t.when === 'above' ? value <= clearAt : value >= clearAt;
        if (!back) continue;
        bySeverity![index] = undefined;
        out.push({ asset, model, version, output, severity: t.severity, value, ts, id: current, state: 'cleared', threshold: clearAt });
      }
    }
  }

  /** Alerts currently raised for an asset (ids). */
  active(asset: string): string[] {
    const out: string[] = [];
    for (const outputs of this.raised.get(asset)?.values() ?? []) {
      for (const ids of outputs.values()) for (const list of ids.values()) for (const id of list) if (id !== undefined) out.push(id);
    }
    return out;
  }

  private create(asset: string, model: string, output: string): RaisedIds {
    let models = this.raised.get(asset);
    if (!models) this.raised.set(asset, (models = new Map()));
    let outputs = models.get(model);
    if (!outputs) models.set(model, (outputs = new Map()));
    let ids = outputs.get(output);
    if (!ids) outputs.set(output, (ids = new Map()));
    return ids;
  }
}
