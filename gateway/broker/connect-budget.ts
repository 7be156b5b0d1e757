/**
 * Bytes of CONNECT packets being received, over all connections: what the broker holds for clients that have
 * not authenticated yet. Reservations beyond the budget refuse the connection, so a crowd of sockets trickling
 * large CONNECTs is bounded by this, not by their number.
 */
export class ConnectBudget {
  readonly #limit: number;
  #used = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get usedBytes(): number {
    return this.#used;
  }

  reserve(bytes: number): string | undefined {
    if (this.#used + bytes > this.#limit) return `CONNECTs being received already hold ${this.#used} of ${this.#limit} bytes`;
    this.#used += bytes;
    return undefined;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
