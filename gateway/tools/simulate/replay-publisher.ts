/**
 * Publishes replay messages to an MQTT broker at a fixed rate (messages per second, all assets together), with
 * the current time as `ts`. Component style: constructor assigns, run(signal) works, abort stops it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { RedeliveringStore } from './redelivering-store.js';
import type { ReplayMessage } from './replay-sources.js';

export interface ReplayOptions {
  broker: string;
  rate: number;
  qos: 0 | 1;
  clientId: string;
  /** Stop after this many messages (0 = until the data, or the loop, ends). */
  limit: number;
  loop: boolean;
}

export interface ReplayDeps {
  messages: () => Iterable<ReplayMessage>;
  clock: () => number;
  progress?: (sent: number) => void;
}

export class ReplayPublisher {
  private readonly options: ReplayOptions;
  private readonly deps: ReplayDeps;

  constructor(options: ReplayOptions, deps: ReplayDeps) {
    this.options = options;
    this.deps = deps;
  }

  /** Resolves with the number of messages published. */
  async run(signal?: AbortSignal): Promise<number> {
    const store = new RedeliveringStore();
    const client: MqttClient = store.track(await mqtt.connectAsync(this.options.broker, {
      clientId: this.options.clientId, reconnectPeriod: 1000, connectTimeout: 10_000, outgoingStore: store,
    }));
    let sent = 0;
    const lastTs = new Map<string, number>();
    const started = performance.now();
    const interval = 1000 / this.options.rate;
    try {
      do {
        for (const m of this.deps.messages()) {
          if (signal?.aborted) return sent;
          const due = started + sent * interval - performance.now();
          if (due > 1) await sleep(due, signal);
          if (signal?.aborted) return sent;
          // strictly increasing per asset: the gateway scores one event per (asset, ts), so two cycles published in
          // the same millisecond (catching up after a stall) must not share a timestamp
          const ts = Math.max(this.deps.clock(), (lastTs.get(m.topic) ?? 0) + 1);
          lastTs.set(m.topic, ts);
          const payload = JSON.stringify({ ts, values: m.values });
          await client.publishAsync(m.topic, payload, { qos: this.options.qos });
          sent++;
          this.deps.progress?.(sent);
          if (this.options.limit > 0 && sent >= this.options.limit) return sent;
        }
      } while (this.options.loop && !signal?.aborted);
      return sent;
    } finally {
      await client.endAsync();
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
