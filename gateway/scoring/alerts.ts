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
}

export class AlertTracker {
  private readonly raised = new Map<string, Raised>();

  /** Events for one scored value. Thresholds of other outputs are ignored. */
  evaluate(args: { asset: string; model: string; version: string; output: string; value: number; ts: number;
    thresholds: readonly ManifestThreshold[] }): AlertEvent[] {
    const events: AlertEvent[] = [];
    if (!Number.isFinite(args.value)) return events;
    const thresholds = args.thresholds;
    for (let index = 0; index < thresholds.length; index++) {
      const t = thresholds[index]!;
      if (t.output !== args.output) continue;
      const key = `${args.asset}\u0000${args.model}\u0000${t.output}\u0000${t.severity}\u0000${index}`;
      const current = this.raised.get(key);
      if (!current) {
        const crossed = t.when === 'above' ? args.value > t.value : args.value < t.value;
        if (!crossed) continue;
        const id = `${args.asset}/${args.model}/${t.output}/${t.severity}/${args.ts}`;
        this.raised.set(key, { id });
        events.push({ ...base(args, t.severity), id, state: 'raised', threshold: t.value });
      } else {
        const clearAt = t.clear ?? t.value;
        const back = t.when === 'above' ? args.value <= clearAt : args.value >= clearAt;
        if (!back) continue;
        this.raised.delete(key);
        events.push({ ...base(args, t.severity), id: current.id, state: 'cleared', threshold: clearAt });
      }
    }
    return events;
  }

  /** Alerts currently raised for an asset (ids). */
  active(asset: string): string[] {
    const out: string[] = [];
    for (const [key, r] of this.raised) if (key.startsWith(`${asset}\u0000`)) out.push(r.id);
    return out;
  }
}

function base(args: { asset: string; model: string; version: string; output: string; value: number; ts: number }, severity: string) {
  return { asset: args.asset, model: args.model, version: args.version, output: args.output, severity, value: args.value, ts: args.ts };
}
