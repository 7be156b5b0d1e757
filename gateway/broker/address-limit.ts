/**
 * Open connections per source address, so one host cannot take every connection slot (mqtt.maxClients) or
 * the memory they cost. Counted over all MQTT listeners (TCP, TLS, WebSocket).
 */
export class AddressConnections {
  readonly #limit: number;
  readonly #open = new Map<string, number>();

  /** `limit` 0: no limit. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts a new connection from the address; false (and not counted) when it is over the limit. */
  admit(address: string): boolean {
    const n = this.#open.get(address) ?? 0;
    if (this.#limit > 0 && n >= this.#limit) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = this.#open.get(address) ?? 0;
    if (n <= 1) this.#open.delete(address);
    else this.#open.set(address, n - 1);
  }
}
