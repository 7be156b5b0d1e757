/**
 * The distinct strings of a batch that crosses to a worker thread, each kept once and referred to by index: a
 * batch names the same few assets, sensors and clients many times, and an Int32Array of indexes is transferred,
 * not cloned.
 */
export class StringTable {
  readonly strings: string[] = [];
  readonly #index = new Map<string, number>();

  /** The string's index in `strings` (added on first sight), or -1 for null. */
  ref(v: string | null): number {
    if (v === null) return -1;
    let i = this.#index.get(v);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(v);
      this.#index.set(v, i);
    }
    return i;
  }
}
