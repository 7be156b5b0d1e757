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

interface Raised {
  id: string;
  severity: string;
}

/** Thresholds raised for one (asset, model name, output), by index into the manifest's thresholds. */
type RaisedSlots = Array<Raised | undefined>;

export class AlertTracker {
  /** asset → model name → output → raised slots. Nested maps: no key string is built per scored value. */
  private readonly raised = new Map<string, Map<string, Map<string, RaisedSlots>>>();

  /** Events for one scored value. Thresholds of other outputs are ignored. */
  evaluate(args: { asset: string; model: string; version: string; output: string; value: number; ts: number;
    thresholds: readonly ManifestThreshold[] }): AlertEvent[] {
    const events: AlertEvent[] = [];
    this.evaluateInto(events, args.asset, args.model, args.version, args.output, args.value, args.ts, args.thresholds);
    return events;
  }

  /** evaluate() for the scoring hot path: appends the events to `out`; allocates nothing while nothing changes. */
  evaluateInto(out: AlertEvent[], asset: string, model: string, version: string, output: string, value: number, ts: number,
    thresholds: readonly ManifestThreshold[]): void {
    if (!Number.isFinite(value)) return;
    let slots: RaisedSlots | undefined;
    for (let index = 0; index < thresholds.length; index++) {
      const t = thresholds[index]!;
      if (t.output !== output) continue;
      slots ??= this.slots(asset, model, output);
      const current = slots[index];
      // A slot raised under another severity (a hot swap reordered the thresholds) counts as not raised.
      if (!current || current.severity !== t.severity) {
        const crossed = t.when === 'above' ? value > t.value : value < t.value;
        if (!crossed) continue;
        const id = `${asset}/${model}/${t.output}/${t.severity}/${ts}`;
        slots[index] = { id, severity: t.severity };
        out.push({ id, asset, model, version, output, severity: t.severity, state: 'raised', value, threshold: t.value, ts });
      } else {
        const clearAt = t.clear ?? t.value;
        const back = t.when === 'above' ? value <= clearAt : value >= clearAt;
        if (!back) continue;
        slots[index] = undefined;
        out.push({ id: current.id, asset, model, version, output, severity: t.severity, state: 'cleared', value, threshold: clearAt, ts });
      }
    }
  }

  /** Alerts currently raised for an asset (ids). */
  active(asset: string): string[] {
    const out: string[] = [];
    for (const outputs of this.raised.get(asset)?.values() ?? []) {
      for (const slots of outputs.values()) for (const r of slots) if (r) out.push(r.id);
    }
    return out;
  }

  private slots(asset: string, model: string, output: string): RaisedSlots {
    let models = this.raised.get(asset);
    if (!models) this.raised.set(asset, (models = new Map()));
    let outputs = models.get(model);
    if (!outputs) models.set(model, (outputs = new Map()));
    let slots = outputs.get(output);
    if (!slots) outputs.set(output, (slots = []));
    return slots;
  }
}
