/**
 * The recent window of every series the status page charts: sensor values per asset (fed from the pipeline's
 * commits) and model outputs per asset (sampled each tick). Bounded: points per series, series per asset and
 * assets overall are capped, so a misbehaving PLC inventing sensor names cannot grow memory without limit.
 */
export type Point = [ts: number, value: number];

export interface RecentWindowLimits {
  pointsPerSeries: number;
  seriesPerAsset: number;
  assets: number;
}

class Ring {
  readonly #ts: Float64Array;
  readonly #v: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#ts = new Float64Array(capacity);
    this.#v = new Float64Array(capacity);
  }

  push(ts: number, v: number): void {
    this.#ts[this.#next] = ts;
    this.#v[this.#next] = v;
    this.#next = (this.#next + 1) % this.#ts.length;
    if (this.#size < this.#ts.length) this.#size++;
  }

  endsWith(ts: number, v: number): boolean {
    if (this.#size === 0) return false;
    const i = (this.#next - 1 + this.#ts.length) % this.#ts.length;
    return this.#ts[i] === ts && this.#v[i] === v;
  }

  last(): Point | undefined {
    if (this.#size === 0) return undefined;
    const i = (this.#next - 1 + this.#ts.length) % this.#ts.length;
    return [this.#ts[i]!, this.#v[i]!];
  }

  /** Median spacing of the last few points (ms), or null with fewer than two. */
  medianInterval(): number | null {
    const n = Math.min(this.#size, 17);
    if (n < 2) return null;
    const cap = this.#ts.length;
    const gaps: number[] = [];
    for (let k = n; k > 1; k--) {
      const i = (this.#next - k + cap) % cap;
      gaps.push(this.#ts[(i + 1) % cap]! - this.#ts[i]!);
    }
    gaps.sort((x, y) => x - y);
    return gaps[gaps.length >> 1]!;
  }

  points(): Point[] {
    const out: Point[] = [];
    const cap = this.#ts.length;
    for (let k = this.#size; k > 0; k--) {
      const i = (this.#next - k + cap) % cap;
      out.push([this.#ts[i]!, this.#v[i]!]);
    }
    return out;
  }
}

export class RecentWindow {
  readonly #limits: RecentWindowLimits;
  readonly #assets = new Map<string, Map<string, Ring>>();
  /** Points refused because a cap was reached (shown on the page so the cut is never silent). */
  dropped = 0;

  constructor(limits: RecentWindowLimits) {
    this.#limits = limits;
  }

  add(asset: string, series: string, ts: number, value: number): void {
    let byAsset = this.#assets.get(asset);
    if (!byAsset) {
      if (this.#assets.size >= this.#limits.assets) { this.dropped++; return; }
      byAsset = new Map();
      this.#assets.set(asset, byAsset);
    }
    let ring = byAsset.get(series);
    if (!ring) {
      if (byAsset.size >= this.#limits.seriesPerAsset) { this.dropped++; return; }
      ring = new Ring(this.#limits.pointsPerSeries);
      byAsset.set(series, ring);
    }
    // Called for every committed reading: no allocation on this path.
    if (ring.endsWith(ts, value)) return;
    ring.push(ts, value);
  }

  assets(): string[] {
    return [...this.#assets.keys()].sort(naturalCompare);
  }

  /**
   * The latest point of each series of an asset. Null-prototype objects: a device may name a sensor
   * `__proto__` or `constructor`, which a plain object would swallow or confuse with its own members.
   */
  latest(asset: string): Record<string, Point> {
    const out = Object.create(null) as Record<string, Point>;
    for (const [name, ring] of this.#assets.get(asset) ?? []) {
      const p = ring.last();
      if (p) out[name] = p;
    }
    return out;
  }

  /** How often the asset usually reports: the shortest median spacing of its series (ms); null until known. */
  usualInterval(asset: string): number | null {
    let best: number | null = null;
    for (const ring of this.#assets.get(asset)?.values() ?? []) {
      const m = ring.medianInterval();
      if (m !== null && m > 0 && (best === null || m < best)) best = m;
    }
    return best;
  }

  /** Every point of every series of an asset, oldest first. */
  series(asset: string): Record<string, Point[]> {
    const out = Object.create(null) as Record<string, Point[]>;
    for (const [name, ring] of this.#assets.get(asset) ?? []) out[name] = ring.points();
    return out;
  }
}

/** engine-2 before engine-10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
