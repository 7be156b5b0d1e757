/**
 * One running cloud instance: opens storage, builds the app, listens, and owns the idempotency-key purge
 * timer. Constructor only assigns; start() does the work; stop() closes the listener (in-flight requests
 * finish), then storage, and clears the timer.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { CloudConfig } from './config/config.js';
import { build, type CloudApp } from './server.js';
import { createStore, redactUrl } from './store/open-store.js';
import type { CloudStore } from './store/store.js';
import { ReadingRetention } from './store/reading-retention.js';

export interface CloudServiceDeps {
  config: CloudConfig;
  log: Logger;
  clock?: () => number;
  version?: string;
  /** An already opened store (tests, embedding); the service then neither opens nor closes it. */
  store?: CloudStore;
}

export class CloudService {
  private ownedStore: CloudStore | undefined;
  private cloud: CloudApp | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private retention: ReadingRetention | undefined;
  port = 0;

  constructor(private readonly deps: CloudServiceDeps) {}

  get config(): CloudConfig {
    return this.deps.config;
  }

  async start(): Promise<{ port: number; host: string }> {
    const { config, log } = this.deps;
    const injected = this.deps.store;
    const store = injected ?? createStore(config.storage, log.child({ component: 'store' }));
    if (!injected) {
      this.ownedStore = store;
      await store.open();
    }
    log.info(
      store.backend === 'postgres'
        ? { backend: store.backend, databaseUrl: redactUrl(config.storage.databaseUrl ?? '') }
        : { backend: store.backend, dataDir: config.storage.dataDir },
      'storage open',
    );
    const deps = { config, store, log: log.child({ component: 'http' }), clock: this.deps.clock, version: this.deps.version };
    this.cloud = build(deps);
    await this.cloud.app.listen({ port: config.http.port, host: config.http.host });
    const address = this.cloud.app.server.address() as AddressInfo;
    this.port = address.port;
    log.info({ port: address.port, host: config.http.host }, 'http listening');

    const clock = this.deps.clock ?? Date.now;
    const purgeEveryMs = Math.min(config.idempotency.ttlMs, 10 * 60_000);
    this.purgeTimer = setInterval(() => {
      store.purgeIdempotencyKeys(clock() - config.idempotency.ttlMs).then(
        (n) => n > 0 && log.debug({ purged: n }, 'idempotency keys purged'),
        (err: unknown) => log.warn({ err }, 'idempotency purge failed'),
      );
    }, purgeEveryMs);
    this.purgeTimer.unref();
    this.retention = new ReadingRetention({ store, config: config.retention, log: log.child({ component: 'retention' }), clock });
    this.retention.start();
    return { port: address.port, host: config.http.host };
  }

  async stop(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    await this.retention?.stop();
    this.retention = undefined;
    const cloud = this.cloud;
    this.cloud = undefined;
    if (cloud) await cloud.app.close();
    const store = this.ownedStore;
    this.ownedStore = undefined;
    if (store) await store.close();
  }
}
