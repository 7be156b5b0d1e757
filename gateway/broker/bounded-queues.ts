/**
 * Bounds the messages queued for each offline persistent session. Aedes' in-memory persistence queues every QoS>0
 * message for a CleanSession=0 client that is away, without limit; a device subscribing to busy topics and never
 * coming back would grow it forever. This wraps the persistence: an offline client's queue takes at most `max`
 * messages (later ones are dropped for it, as MQTT allows for undeliverable messages) and frees a slot for every
 * message the client acknowledges or whose queue is emptied. Messages queued while the client is online (in
 * flight) are counted but never refused.
 */
import aedesPersistence from 'aedes-persistence';

// A CommonJS module whose export is the factory (its .d.ts describes a default export TypeScript cannot call here).
const memory = aedesPersistence as unknown as () => unknown;

type Callback = (err: Error | null, ...rest: unknown[]) => void;
interface Sub { clientId: string }
interface QueuePersistence {
  outgoingEnqueue(sub: Sub, packet: unknown, cb?: Callback): unknown;
  outgoingEnqueueCombi(subs: Sub[], packet: unknown, cb?: Callback): unknown;
  outgoingClearMessageId(client: { id: string }, packet: unknown, cb?: Callback): unknown;
}

export interface QueueBound {
  /** Messages now queued for a client id (for tests and metrics). */
  queued(clientId: string): number;
}

/** An Aedes persistence (in memory) whose offline queues hold at most `max` messages per client id. */
export function boundedMemoryPersistence(max: number, onDropped: (clientId: string) => void): { persistence: unknown; bound: QueueBound } {
  const persistence = memory() as unknown as QueuePersistence;
  const counts = new Map<string, number>();
  const add = (id: string): void => { counts.set(id, (counts.get(id) ?? 0) + 1); };
  const release = (id: string): void => {
    const n = (counts.get(id) ?? 0) - 1;
    if (n > 0) counts.set(id, n);
    else counts.delete(id);
  };
  const enqueue = persistence.outgoingEnqueue.bind(persistence);
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  const clear = persistence.outgoingClearMessageId.bind(persistence);

  persistence.outgoingEnqueue = (sub, packet, cb) => {
    add(sub.clientId);
    return enqueue(sub, packet, cb);
  };
  // Aedes enqueues for offline persistent sessions through this one.
  persistence.outgoingEnqueueCombi = (subs, packet, cb) => {
    const kept = subs.filter((s) => {
      if ((counts.get(s.clientId) ?? 0) >= max) {
        onDropped(s.clientId);
        return false;
      }
      add(s.clientId);
      return true;
    });
    return enqueueCombi(kept, packet, cb);
  };
  persistence.outgoingClearMessageId = (client, packet, cb) => {
    if (cb) {
      return clear(client, packet, (err, removed) => {
        if (removed) release(client.id);
        cb(err, removed);
      });
    }
    return (clear(client, packet) as Promise<unknown>).then((removed) => {
      if (removed) release(client.id);
      return removed;
    });
  };
  return { persistence, bound: { queued: (id) => counts.get(id) ?? 0 } };
}
