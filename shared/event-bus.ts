/**
 * A small typed event bus, in the manner of zigbee2mqtt's EventBus: components announce what happened by name,
 * others listen, and neither imports the other. Listeners run synchronously in the order they were added; one
 * that throws is reported to `onListenerError` and the others still run, so a faulty listener cannot stop the
 * path of a reading.
 */
/** Each event's name and the arguments its listeners get. */
export type EventMap<Events> = { [K in keyof Events]: readonly unknown[] };
type Listener<Args extends readonly unknown[]> = (...args: Args) => void;

export class EventBus<Events extends EventMap<Events>> {
  readonly #listeners = new Map<keyof Events, Array<Listener<never[]>>>();
  readonly #onListenerError: (err: unknown, event: string) => void;

  constructor(deps: { onListenerError: (err: unknown, event: string) => void }) {
    this.#onListenerError = deps.onListenerError;
  }

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let list = this.#listeners.get(event);
    if (!list) this.#listeners.set(event, (list = []));
    const entry = listener as unknown as Listener<never[]>;
    list.push(entry);
    return () => {
      const current = this.#listeners.get(event);
      const at = current?.indexOf(entry) ?? -1;
      // Copy on removal: an emit in progress keeps iterating the array it started with.
      if (current && at >= 0) this.#listeners.set(event, [...current.slice(0, at), ...current.slice(at + 1)]);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of list) {
      try {
        (listener as unknown as Listener<Events[K]>)(...args);
      } catch (err) {
        this.#onListenerError(err, String(event));
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }
}
