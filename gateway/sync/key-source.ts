/**
 * Where the gateway's API key comes from: SMARTMAINT_API_KEY, or a file (re-read on demand, so an operator
 * fixes a refused key by rewriting the file — no restart). Never from argv, where `ps` shows it.
 */
import { readFileSync } from 'node:fs';

export class KeySource {
  readonly #file: string | undefined;
  readonly #envKey: string | undefined;
  #cached: string | undefined;

  constructor(options: { file?: string | undefined; envKey?: string | undefined }) {
    this.#file = options.file;
    this.#envKey = options.envKey?.trim() || undefined;
  }

  get configured(): boolean {
    return this.#file !== undefined || this.#envKey !== undefined;
  }

  /** The current key; `reload` re-reads the file. Undefined when no key is available. */
  key(reload = false): string | undefined {
    if (this.#file !== undefined && (reload || this.#cached === undefined)) {
      try {
        this.#cached = readFileSync(this.#file, 'utf8').trim() || undefined;
      } catch {
        this.#cached = undefined;
      }
    }
    return this.#file !== undefined ? this.#cached : this.#envKey;
  }
}
