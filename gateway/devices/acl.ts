/**
 * Per-device access control. An allow entry is either
 *   - an MQTT topic filter (it contains a `/`): `telemetry/pump-7/#`, `alerts/+` — publish to matching topics,
 *     subscribe to filters it covers; or
 *   - an asset glob (no `/`; `*` and `?` within one name): `pump-*` — publish telemetry of matching assets on any
 *     telemetry topic pattern, write them over HTTP, and subscribe to their `alerts/{asset}` topics.
 * Devices never get `#`, a filter starting with a wildcard level, or `$SYS`/`$`-topics: such entries are
 * refused when the device is created, and such subscriptions are refused whatever the entries say.
 */
import type { TopicMatch } from '../ingest/topics.js';

export class AclPatternError extends Error {
  readonly code = 'SMARTMAINT_ACL_PATTERN_INVALID';
}

/** Checks one allow entry; returns a reason, or null if it is usable. */
export function aclPatternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > 256) return 'must be 1-256 characters';
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return 'must not contain control characters';
  if (pattern.startsWith('$')) return '$-topics are reserved for the broker';
  if (!pattern.includes('/')) {
    if (/[#+]/.test(pattern)) return 'an asset glob uses * and ?, not MQTT wildcards';
    return null;
  }
  const levels = pattern.split('/');
  if (levels[0] === '#' || levels[0] === '+') return 'the first topic level must be literal (no device gets #)';
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '# must be a whole, last level';
    if (l.includes('+') && l !== '+') return '+ must be a whole level';
  }
  return null;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`);
}

/** Does the topic filter match the (wildcard-free) topic? MQTT-4.7.1. */
export function filterMatches(filter: readonly string[], topic: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Is every topic matched by `inner` also matched by `outer`? */
export function filterCovers(outer: readonly string[], inner: readonly string[]): boolean {
  for (let i = 0; i < outer.length; i++) {
    const o = outer[i]!;
    if (o === '#') return true;
    if (i >= inner.length) return false;
    const n = inner[i]!;
    if (n === '#') return false;
    if (o === '+') continue;
    if (n === '+' || n !== o) return false;
  }
  return outer.length === inner.length;
}

export class DeviceAcl {
  readonly patterns: readonly string[];
  readonly #filters: string[][] = [];
  readonly #assets: RegExp[] = [];

  constructor(patterns: readonly string[]) {
    this.patterns = Object.freeze([...patterns]);
    for (const p of patterns) {
      const problem = aclPatternProblem(p);
      if (problem !== null) throw new AclPatternError(`allow entry ${JSON.stringify(p)}: ${problem}`);
      if (p.includes('/')) this.#filters.push(p.split('/'));
      else this.#assets.push(globToRegExp(p));
    }
  }

  mayWriteAsset(asset: string): boolean {
    for (const re of this.#assets) if (re.test(asset)) return true;
    return false;
  }

  /** @param match the telemetry pattern match of the topic, if it is a telemetry topic */
  mayPublish(topic: string, match: TopicMatch | undefined): boolean {
    if (topic.startsWith('$')) return false;
    if (match !== undefined && this.mayWriteAsset(match.asset)) return true;
    if (this.#filters.length === 0) return false;
    const levels = topic.split('/');
    for (const f of this.#filters) if (filterMatches(f, levels)) return true;
    return false;
  }

  /** HTTP readings are authorised as if published to `telemetry/{asset}/{sensor}`. */
  mayWriteReading(asset: string, sensor: string): boolean {
    if (this.mayWriteAsset(asset)) return true;
    if (this.#filters.length === 0) return false;
    const levels = ['telemetry', asset, sensor];
    for (const f of this.#filters) if (filterMatches(f, levels)) return true;
    return false;
  }

  maySubscribe(filter: string): boolean {
    if (filter.startsWith('$')) return false;
    const levels = filter.split('/');
    if (levels[0] === '#' || levels[0] === '+') return false;
    for (const f of this.#filters) if (filterCovers(f, levels)) return true;
    // An asset glob grants that asset's alerts: alerts/{asset} and below.
    if (levels[0] === 'alerts' && levels.length >= 2) {
      const asset = levels[1]!;
      if (asset !== '+' && asset !== '#' && this.mayWriteAsset(asset)) return true;
    }
    return false;
  }
}
