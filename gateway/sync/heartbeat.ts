/**
 * Periodic health snapshot to the cloud (POST /api/v1/gateways/:id/heartbeat) on a node-cron schedule,
 * plus one at start. A heartbeat that gets any answer is also evidence the link is back.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Heartbeat as HeartbeatBody } from '../../shared/protocol.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { CloudClient } from './cloud-client.js';
import type { KeySource } from './key-source.js';

export class HeartbeatSender {
  readonly #schedule: string;
  readonly #client: CloudClient;
  readonly #keys: KeySource;
  readonly #gatewayId: string;
  readonly #snapshot: () => HeartbeatBody;
  readonly #onResult: (result: { status: number } | { error: string }) => void;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  #task: ScheduledTask | undefined;
  #abort = new AbortController();
  #lastStatus: number | null = null;

  constructor(deps: {
    schedule: string;
    client: CloudClient;
    keys: KeySource;
    gatewayId: string;
    snapshot: () => HeartbeatBody;
    /** Every outcome: an HTTP status, or the transport error code when there was no answer. */
    onResult: (result: { status: number } | { error: string }) => void;
    metrics: GatewayMetrics;
    log: Logger;
  }) {
    this.#schedule = deps.schedule;
    this.#client = deps.client;
    this.#keys = deps.keys;
    this.#gatewayId = deps.gatewayId;
    this.#snapshot = deps.snapshot;
    this.#onResult = deps.onResult;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
  }

  start(): void {
    this.#task = cron.schedule(this.#schedule, () => this.beat(), { noOverlap: true, name: 'heartbeat' });
    void this.beat();
  }

  async beat(): Promise<void> {
    try {
      const res = await this.#client.postHeartbeat(this.#gatewayId, JSON.stringify(this.#snapshot()), this.#keys.key() ?? '', this.#abort.signal);
      const ok = res.status >= 200 && res.status < 300;
      this.#metrics.heartbeats.inc({ result: ok ? 'ok' : `http-${res.status}` });
      if (!ok && res.status !== this.#lastStatus) this.#log.warn({ status: res.status, code: res.body?.error?.code }, 'heartbeat refused');
      this.#lastStatus = res.status;
      this.#onResult({ status: res.status });
    } catch (err) {
      this.#metrics.heartbeats.inc({ result: 'error' });
      if (this.#lastStatus !== 0) this.#log.debug({ err }, 'heartbeat failed');
      this.#lastStatus = 0;
      if (!this.#abort.signal.aborted) {
        const code = (err as { code?: unknown } | null)?.code;
        this.#onResult({ error: typeof code === 'string' ? code.toLowerCase() : 'transport-error' });
      }
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#task?.destroy();
    this.#task = undefined;
  }
}
