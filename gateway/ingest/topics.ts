/**
 * Maps an MQTT topic onto a telemetry pattern. Patterns are compiled once into per-level-count tables so a
 * lookup is a split and a few string comparisons (this runs for every PUBLISH).
 */
export interface TopicMatch {
  asset: string;
  /** Present for single-value patterns (`telemetry/{asset}/{sensor}`); absent for multi-value messages. */
  sensor: string | undefined;
}

interface CompiledPattern {
  segments: readonly string[];
  assetIndex: number;
  sensorIndex: number;
}

export class TopicMatcher {
  readonly #byLength = new Map<number, CompiledPattern[]>();

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const segments = pattern.split('/');
      const compiled: CompiledPattern = {
        segments,
        assetIndex: segments.indexOf('{asset}'),
        sensorIndex: segments.indexOf('{sensor}'),
      };
      const list = this.#byLength.get(segments.length) ?? [];
      list.push(compiled);
      this.#byLength.set(segments.length, list);
    }
  }

  match(topic: string): TopicMatch | undefined {
    const levels = topic.split('/');
    const candidates = this.#byLength.get(levels.length);
    if (candidates === undefined) return undefined;
    for (const p of candidates) {
      let ok = true;
      for (let i = 0; i < levels.length; i++) {
        const seg = p.segments[i]!;
        const level = levels[i]!;
        if (i === p.assetIndex || i === p.sensorIndex) {
          if (level.length === 0) { ok = false; break; }
        } else if (seg !== level) { ok = false; break; }
      }
      if (ok) return { asset: levels[p.assetIndex]!, sensor: p.sensorIndex >= 0 ? levels[p.sensorIndex]! : undefined };
    }
    return undefined;
  }
}
