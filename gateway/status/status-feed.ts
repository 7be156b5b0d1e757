/**
 * The status page's live feed: keeps the recent window of every chart, and once a second builds a compact
 * snapshot and pushes it to every Server-Sent Events client. One timer, owned here, cleared in stop(); a client
 * that disconnects is removed at once; on stop the streams are ended so the HTTP server can close.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DeadLetterSummary, OutboxEntry, OutboxStats, ReadingQuery, StoredReading } from '../outbox/outbox.js';
import { RecentWindow } from './recent-window.js';
import { DrainEstimator } from './uplink-words.js';
import { buildSnapshot, type DeadLetterView, type StatusSnapshot, type StatusSource } from './status-snapshot.js';

export interface StatusFeedSource extends StatusSource {
  readonly outbox: StatusSource['outbox'] & {
    recentDeadLetters(limit: number): DeadLetterSummary[];
    stats(): OutboxStats;
    queryReadings(q: ReadingQuery): StoredReading[];
  };
}

export interface StatusFeedOptions {
  /** How often the snapshot is pushed. */
  tickMs: number;
  /** Points kept per chart series. */
  pointsPerSeries: number;
  /** Most recent dead letters shown. */
  deadLetters: number;
}

const DEFAULTS: StatusFeedOptions = { tickMs: 1_000, pointsPerSeries: 300, deadLetters: 20 };

export class StatusFeed {
  readonly #source: StatusFeedSource;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #version: string;
  readonly #options: StatusFeedOptions;
  readonly sensors: RecentWindow;
  readonly outputs: RecentWindow;
  readonly #drain = new DrainEstimator();
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** The last snapshot as sent, so a new client gets something at once. */
  #lastJson: string | undefined;

  constructor(deps: { source: StatusFeedSource; log: Logger; clock: () => number; version: string; options?: Partial<StatusFeedOptions> }) {
    this.#source = deps.source;
    this.#log = deps.log;
    this.#clock = deps.clock;
    this.#version = deps.version;
    this.#options = Object.freeze({ ...DEFAULTS, ...deps.options });
    const limits = { pointsPerSeries: this.#options.pointsPerSeries, seriesPerAsset: 64, assets: 500 };
    this.sensors = new RecentWindow(limits);
    this.outputs = new RecentWindow(limits);
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  get source(): StatusFeedSource {
    return this.#source;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#timer = setInterval(() => this.#tick(), this.#options.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.endStreams();
  }

  /** Adds an SSE client; it gets the latest snapshot at once and every tick after. */
  addClient(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    const remove = (): void => { this.#clients.delete(res); };
    res.on('close', remove);
    res.on('error', remove);
    const first = this.#lastJson ?? JSON.stringify(this.snapshot());
    res.write(`data: ${first}\n\n`);
  }

  snapshot(): StatusSnapshot {
    const stats = this.#source.outbox.stats();
    return buildSnapshot({
      source: this.#source,
      now: this.#clock(),
      version: this.#version,
      sensors: this.sensors,
      outputs: this.outputs,
      drainRate: this.#drain.rate(),
      deadLetters: this.#recentDeadLetters(),
      deadLettersTotal: stats.deadLetters,
    });
  }

  /** Chart history of one asset: its sensors and its model outputs. */
  history(asset: string): { asset: string; sensors: ReturnType<RecentWindow['series']>; outputs: ReturnType<RecentWindow['series']> } {
    return { asset, sensors: this.sensors.series(asset), outputs: this.outputs.series(asset) };
  }

  /** What a group commit stored: fed to the charts' recent windows while the feed runs. */
  onCommitted(entries: readonly OutboxEntry[]): void {
    if (!this.#running) return;
    for (const e of entries) {
      for (const r of e.readings ?? []) this.sensors.add(r.asset, r.sensor, r.ts, r.value);
    }
  }

  #tick(): void {
    try {
      const now = this.#clock();
      const scoring = this.#source.scoring;
      if (scoring) {
        for (const asset of this.sensors.assets()) {
          for (const [series, o] of Object.entries(scoring.latest(asset))) {
            if (Number.isFinite(o.value)) this.outputs.add(asset, series, o.ts, o.value);
          }
        }
      }
      this.#drain.sample(now, this.#source.sync.status().pending);
      if (this.#clients.size === 0) {
        this.#lastJson = undefined;
        return;
      }
      const json = JSON.stringify(this.snapshot());
      this.#lastJson = json;
      const frame = `data: ${json}\n\n`;
      for (const res of this.#clients) {
        // A client that cannot keep up is dropped rather than buffered without bound; its EventSource reconnects.
        if (res.writableLength > 1_048_576) res.destroy();
        else res.write(frame);
      }
    } catch (err) {
      this.#log.warn({ err }, 'status snapshot failed');
    }
  }

  #recentDeadLetters(): DeadLetterView[] {
    return this.#running ? this.#source.outbox.recentDeadLetters(this.#options.deadLetters) : [];
  }

  /** SSE responses never end by themselves: the HTTP server ends them before it waits for its connections. */
  endStreams(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
