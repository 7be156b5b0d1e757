/**
 * The demo in one process: the cloud on embedded SQLite, one gateway syncing to it with an automatically
 * provisioned key, and a C-MAPSS replay publishing to the gateway's broker. Component style: the constructor
 * assigns, start() brings everything up (cloud, then gateway, then replay), stop() takes it down in reverse.
 * `smartmaint demo` (demo-cli.ts) and the browser tests both use it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { cloudConfigSchema } from '../../cloud/config/config.js';
import { CloudService } from '../../cloud/service.js';
import { createStore } from '../../cloud/store/open-store.js';
import type { CloudStore } from '../../cloud/store/store.js';
import { gatewayConfigSchema } from '../../gateway/config/config.js';
import { Gateway } from '../../gateway/gateway.js';
import { ReplayPublisher } from '../../gateway/tools/simulate/replay-publisher.js';
import { loadFd001 } from '../../shared/ml/datasets.js';
import { productVersion } from '../../shared/version.js';
import { provisionDemoKeys } from './demo-keys.js';
import { DEMO_ENGINES, demoMessages } from './demo-replay.js';
import { choosePort, type PortChoice } from './ports.js';

export interface DemoOptions {
  stateDir: string;
  host: string;
  /** Preferred ports; a taken one is replaced by a free one (see notes). 0 = any free port. */
  ports: { cloud: number; http: number; mqtt: number };
  /** Replay messages per second (all engines together); 0 = no replay. */
  rate: number;
  gatewayId: string;
  heartbeatSchedule: string;
  fleet: { staleAfterMs: number; offlineAfterMs: number };
  /** Retention: the gateway keeps synced readings this long under a disk budget; the cloud keeps readings this long. */
  retention: { syncedMaxAgeMs: number; outboxMaxBytes: number; cloudReadingsMaxAgeMs: number };
  /** Replaces the provisioned gateway key (tests: a key the cloud refuses). */
  gatewayApiKey?: string;
}

export const DEMO_DEFAULTS: DemoOptions = {
  stateDir: '.demo',
  host: '127.0.0.1',
  ports: { cloud: 8090, http: 8080, mqtt: 1883 },
  // One cycle a second per engine: the RUL trend reads as a trend, and the first alert comes within a minute.
  rate: DEMO_ENGINES.length,
  gatewayId: 'demo-gateway',
  heartbeatSchedule: '*/5 * * * * *',
  fleet: { staleAfterMs: 15_000, offlineAfterMs: 30_000 },
  // The replay writes about 6 MB a minute; unbounded, a demo left running fills the disk in days. An hour of
  // synced history is more than the pages show, and the budget caps what an outage can pile up.
  retention: { syncedMaxAgeMs: 3_600_000, outboxMaxBytes: 512 * 1_048_576, cloudReadingsMaxAgeMs: 6 * 3_600_000 },
};

export interface DemoUrls {
  statusPage: string;
  fleetView: string;
  /** The fleet view URL that logs in with the operator key (the key is in the fragment, never sent to a server). */
  fleetLogin: string;
  mqtt: string;
}

export class Demo {
  readonly options: DemoOptions;
  readonly log: Logger;
  notes: string[] = [];
  urls: DemoUrls | undefined;
  operatorKey = '';
  gateway: Gateway | undefined;
  cloud: CloudService | undefined;
  #store: CloudStore | undefined;
  #replay: { abort: AbortController; done: Promise<void>; publisher: ReplayPublisher } | undefined;
  published = 0;

  constructor(options: DemoOptions, log: Logger) {
    this.options = options;
    this.log = log;
  }

  async start(): Promise<DemoUrls> {
    const o = this.options;
    const state = resolve(o.stateDir);
    mkdirSync(state, { recursive: true });
    try {
      const ports: Record<'cloud' | 'http' | 'mqtt', PortChoice> = {
        cloud: await choosePort('cloud HTTP', o.ports.cloud, o.host),
        http: await choosePort('gateway HTTP', o.ports.http, o.host),
        mqtt: await choosePort('MQTT', o.ports.mqtt, o.host),
      };
      this.notes = Object.values(ports).flatMap((p) => (p.note ? [p.note] : []));

      const cloudConfig = cloudConfigSchema.parse({
        http: { host: o.host, port: ports.cloud.port },
        storage: { dataDir: join(state, 'cloud') },
        fleet: o.fleet,
        retention: { readingsMaxAgeMs: o.retention.cloudReadingsMaxAgeMs },
        log: { level: this.log.level },
      });
      this.#store = createStore(cloudConfig.storage, this.log.child({ program: 'cloud', component: 'store' }));
      await this.#store.open();
      const keys = await provisionDemoKeys(this.#store, state, o.gatewayId, Date.now());
      this.operatorKey = keys.operatorKey;
      this.cloud = new CloudService({ config: cloudConfig, log: this.log.child({ program: 'cloud' }), store: this.#store, version: productVersion });
      const cloud = await this.cloud.start();

      const gatewayConfig = gatewayConfigSchema.parse({
        gatewayId: o.gatewayId,
        dataDir: join(state, 'gateway'),
        mqtt: { host: o.host, port: ports.mqtt.port, allowAnonymous: true },
        http: { host: o.host, port: ports.http.port },
        sync: { cloudUrl: `http://${urlHost(o.host)}:${cloud.port}`, heartbeatSchedule: o.heartbeatSchedule },
        retention: { syncedMaxAgeMs: o.retention.syncedMaxAgeMs },
        outbox: { maxBytes: o.retention.outboxMaxBytes, whenFull: 'drop-oldest' },
        log: { level: this.log.level },
      });
      this.gateway = new Gateway({ config: gatewayConfig, log: this.log.child({ program: 'gateway' }), apiKey: o.gatewayApiKey ?? keys.gatewayKey });
      await this.gateway.start();

      const host = urlHost(o.host);
      const fleetView = `http://${host}:${cloud.port}/`;
      this.urls = {
        statusPage: `http://${host}:${this.gateway.httpPort}/`,
        fleetView,
        fleetLogin: `${fleetView}#key=${encodeURIComponent(keys.operatorKey)}`,
        mqtt: `mqtt://${host}:${this.gateway.mqttPort}`,
      };
      if (o.rate > 0) this.#startReplay(this.urls.mqtt);
      return this.urls;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Which engines are replayed, for the banner. */
  describeReplay(): string {
    const perEngineS = DEMO_ENGINES.length / this.options.rate;
    return `C-MAPSS FD001 engines run to failure: ${DEMO_ENGINES.map((d) => `engine-${d.unit} (${d.startRul} cycles left)`).join(', ')}; `
      + `one cycle per engine every ${Number(perEngineS.toFixed(2))} s`;
  }

  #startReplay(broker: string): void {
    const train = loadFd001().train;
    const abort = new AbortController();
    const publisher = new ReplayPublisher(
      { broker, rate: this.options.rate, qos: 1, clientId: 'smartmaint-demo-replay', limit: 0, loop: false },
      { messages: () => demoMessages(train), clock: Date.now, progress: (sent) => { this.published = sent; } },
    );
    const done = publisher.run(abort.signal).then(
      () => undefined,
      (err: unknown) => { if (!abort.signal.aborted) this.log.error({ err }, 'demo replay stopped'); },
    );
    this.#replay = { abort, done, publisher };
  }

  async stop(): Promise<void> {
    await this.stopGateway();
    const cloud = this.cloud;
    this.cloud = undefined;
    await cloud?.stop();
    const store = this.#store;
    this.#store = undefined;
    await store?.close();
  }

  /** Stops only the gateway (the fleet view then sees it go stale, then offline). */
  async stopGateway(): Promise<void> {
    const replay = this.#replay;
    this.#replay = undefined;
    if (replay) {
      replay.abort.abort();
      await replay.done;
    }
    const gateway = this.gateway;
    this.gateway = undefined;
    await gateway?.stop();
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
