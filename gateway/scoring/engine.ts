/**
 * The gateway's local scoring: the ingest pipeline hands it each committed micro-batch of readings; it keeps the
 * feature windows, runs every applicable model version once per batch, and returns scores (to be stored with the
 * readings) and alert raise/clear events (to be stored, synced first and published on alerts/{asset}).
 * Bad data is counted, never thrown.
 *
 * Who decides what: the model registry (model-registry.ts) keeps the versions' state — status, sessions, rollback
 * targets, run statistics — and applies what the models dir says (hot swap, shadow mode). The engine decides
 * everything that follows from scoring: which versions score a batch (each model's active version and its
 * shadows), that only active versions update the latest scores and raise alerts, when an active version is
 * rolled back (consecutive failed runs, a latency blow-up) and whether the version it falls back to rescores the
 * batch's rows. The engine calls the registry; the registry never calls the engine.
 */
import { isDeepStrictEqual } from 'node:util';
import { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import { SmartmaintError } from '../../shared/errors.js';
import { AlertTracker, type AlertEvent } from './alerts.js';
import { FeatureWindows } from './feature-windows.js';
import { grown } from './grow.js';
import { FeatureMismatchError, ModelNotFoundError } from './model-errors.js';
import { ModelRegistry, type ModelVersion, type RegistryEvent } from './model-registry.js';
import { scoringConfigSchema, type ScoringConfig, type ScoringConfigInput } from '../config/scoring-config.js';
import { ScoringMetrics } from './scoring-metrics.js';
import { inlineSessions, workerSessions, type SessionFactory } from './ort-sessions.js';
import { ScoringBatch, type ScoringInput } from './scoring-batch.js';
import type { ManifestThreshold } from '../../shared/ml/manifest.js';

export type { AlertEvent };

export { ScoringBatch, type ScoringInput } from './scoring-batch.js';
export interface ScoreRecord { seq: number; model: string; version: string; output: string; value: number }

export interface ScoringEngineDeps {
  modelsDir: string;
  log: Logger;
  clock: () => number;
  registry?: Registry;
  config?: ScoringConfigInput;
  /**
   * Run time is what onnxruntime reports for run() on the session's thread (queueing behind a busy event loop is
   * not the model's latency). Given a timer (monotonic ms), run time is measured with it around each run instead:
   * for tests that need a slow model without one.
   */
  timer?: () => number;
  /** Lifecycle events (loaded, swapped, refused, rolled-back, retired), e.g. for logs or tests. */
  onModelEvent?: (e: RegistryEvent) => void;
}

export interface ModelListing {
  name: string;
  version: string;
  status: 'active' | 'shadow' | 'failed' | 'retired';
  rowsScored: number;
  /** Mean wall time of one run() (one micro-batch) of this version. */
  meanScoreMs: number;
  assets: string[];
  outputs: string[];
  error?: string;
}

/** One model version's share of a micro-batch: a row-major feature matrix and the event of each row. */
interface Job {
  entry: ModelVersion;
  width: number;
  n: number;
  features: Float64Array;
  asset: string[];
  ts: Float64Array;
  seq: Float64Array;
}

const JOB_ROWS = 64;

/**
 * Every field gets its final type here, before the object exists (typed arrays, an array that already holds
 * strings): a field whose value later changed kind (an empty array literal that then took doubles) deprecated the
 * job's hidden class, and measured, TurboFan then kept aborting its compiles of buildJobs ("maps became
 * deprecated during optimization"): 77 aborted compiles, seconds of CPU in a 15 s run.
 */
function newJob(entry: ModelVersion, width: number, rows: number): Job {
  return { entry, width, n: 0, features: new Float64Array(width * rows), asset: new Array<string>(rows).fill(''),
    ts: new Float64Array(rows), seq: new Float64Array(rows) };
}

/** The job with room for twice as many rows, the first `n` kept. */
function widen(job: Job): Job {
  const rows = job.ts.length * 2;
  const asset = new Array<string>(rows).fill('');
  for (let r = 0; r < job.n; r++) asset[r] = job.asset[r]!;
  return { entry: job.entry, width: job.width, n: job.n, features: grown(job.features, job.width * rows), asset,
    ts: grown(job.ts, rows), seq: grown(job.seq, rows) };
}

/** Indexes of a batch's readings (of one asset), in a buffer kept from batch to batch. */
interface IndexList { asset: string; idx: Int32Array; n: number }

/**
 * Whether two versions build their feature rows the same way (same features, windows and minimum counts, in the
 * same order), so one's rows fit the other. Names alone are not enough: `c.mean` over 3 readings and over 60 s
 * share a name.
 */
function sameFeatures(a: ModelVersion, b: ModelVersion): boolean {
  const x = a.loaded?.manifest.input;
  const y = b.loaded?.manifest.input;
  return x !== undefined && y !== undefined && isDeepStrictEqual(x, y);
}

/** The versions that score a batch: each model's active version and its shadows, those loaded. */
function scoringVersions(models: ModelRegistry): ModelVersion[] {
  return models.all().filter((v) => (v.status === 'active' || v.status === 'shadow') && v.loaded !== null);
}

/** The latest score of one output of one model for one asset, updated in place as scores come. */
interface LatestScore { model: string; version: string; output: string; value: number; ts: number }

export class ScoringEngine {
  private readonly deps: ScoringEngineDeps;
  private readonly config: ScoringConfig;
  private readonly log: Logger;
  private readonly timer: (() => number) | null;
  private readonly metrics: ScoringMetrics;
  private readonly windows = new FeatureWindows();
  private readonly alerts: AlertTracker;
  private readonly latestByAsset = new Map<string, Record<string, LatestScore>>();
  /** `${model}/${output}` per version and output, built once instead of per scored event. */
  private readonly latestKeys = new WeakMap<ModelVersion, string[]>();
  /** Each version's job, reused batch after batch (batches are scored one at a time): its buffers stay allocated. */
  private readonly jobOf = new WeakMap<ModelVersion, Job>();
  /** Reading indexes per asset of the batch being built, reused likewise. */
  private readonly perAsset = new Map<string, IndexList>();
  private readonly touched: IndexList[] = [];
  private models: ModelRegistry | null = null;
  private sessions: SessionFactory | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private onAbort: (() => void) | null = null;

  constructor(deps: ScoringEngineDeps) {
    this.deps = deps;
    this.config = Object.freeze(scoringConfigSchema.parse(deps.config ?? {}));
    this.alerts = new AlertTracker({ defaultForMs: this.config.alertForMs });
    this.log = deps.log.child({ component: 'scoring' });
    this.timer = deps.timer ?? null;
    this.metrics = new ScoringMetrics(deps.registry ?? new Registry());
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.models) return;
    this.sessions = this.config.runner === 'worker' ? workerSessions() : inlineSessions();
    this.models = new ModelRegistry({
      modelsDir: this.deps.modelsDir, log: this.log, config: this.config, windows: this.windows, sessions: this.sessions,
      metrics: this.metrics, ...(this.deps.onModelEvent ? { onEvent: this.deps.onModelEvent } : {}),
    });
    await this.models.start();
    if (signal) {
      this.onAbort = () => { void this.stop(); };
      if (signal.aborted) await this.stop();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  async stop(): Promise<void> {
    const models = this.models;
    if (!models) return;
    this.models = null;
    await this.queue.catch(() => undefined);
    await models.stop();
    await this.sessions?.close();
    this.sessions = null;
  }

  /** Rescans the models dir now (what the watcher does on a change, without waiting for files to settle). */
  async refresh(): Promise<void> {
    await this.models?.refresh({ settle: false });
  }

  /** Promotes a shadow version: it becomes active and the current active version its rollback target. */
  promote(name: string, version: string): void {
    if (!this.models) throw new ModelNotFoundError(`${name}/${version}`);
    this.models.promote(name, version);
  }

  /** Whether any loaded model version reads this sensor; readings of other sensors need not be scored. */
  wants(sensor: string): boolean {
    return this.windows.wants(sensor);
  }

  /**
   * Scores a micro-batch (given as readings or as a ScoringBatch, which the engine only reads), or the readings
   * [from, to) of a ScoringBatch. Batches are scored one after another and a ScoringBatch is read when its turn
   * comes, not copied: it must not change until the returned promise settles.
   */
  score(input: readonly ScoringInput[] | ScoringBatch, from = 0, to = Number.POSITIVE_INFINITY): Promise<{ scores: ScoreRecord[]; alerts: AlertEvent[] }> {
    const batch = input instanceof ScoringBatch ? input : ScoringBatch.from(input);
    const start = Math.max(0, from);
    const end = Math.min(to, batch.length);
    const run = this.queue.then(() => this.scoreNow(batch, start, end));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scoreNow(batch: ScoringBatch, from: number, to: number): Promise<{ scores: ScoreRecord[]; alerts: AlertEvent[] }> {
    const scores: ScoreRecord[] = [];
    const alerts: AlertEvent[] = [];
    const models = this.models;
    if (!models) {
      // not running: the readings are still checked (bad ones counted) and kept in the windows; nothing scores
      this.buildJobs(batch, from, to, []);
      return { scores, alerts };
    }
    const versions = scoringVersions(models);
    for (const v of versions) models.hold(v);
    try {
      const jobs = this.buildJobs(batch, from, to, versions);
      for (const job of jobs) {
        const done = await this.runJob(models, job.entry, job.features, job.n, true);
        if (!done) continue;
        const { entry, columns } = done;
        const loaded = entry.loaded;
        if (!loaded) continue;
        const names = loaded.outputNames;
        const manifest = entry.status === 'active' ? loaded.manifest : undefined;
        const keys = manifest ? this.latestKeysOf(entry, names) : undefined;
        for (let r = 0; r < job.n; r++) {
          const asset = job.asset[r]!;
          const ts = job.ts[r]!;
          const seq = job.seq[r]!;
          const latest = manifest ? this.latestFor(asset) : undefined;
          for (let k = 0; k < names.length; k++) {
            const output = names[k]!;
            const value = columns[k]![r]!;
            scores.push({ seq, model: entry.name, version: entry.version, output, value });
            if (!manifest || !latest) continue;
            const key = keys![k]!;
            const last = latest[key];
            if (last) {
              last.version = entry.version;
              last.value = value;
              last.ts = ts;
            } else latest[key] = { model: entry.name, version: entry.version, output, value, ts };
            if (manifest.thresholds.length === 0) continue;
            const before = alerts.length;
            this.alerts.evaluate(alerts, asset, entry.name, entry.version, output, value, ts, manifest.thresholds);
            for (let i = before; i < alerts.length; i++) this.metrics.alerts.inc({ severity: alerts[i]!.severity, state: alerts[i]!.state });
          }
        }
      }
    } finally {
      for (const v of versions) models.unhold(v);
    }
    return { scores, alerts };
  }

  private latestKeysOf(entry: ModelVersion, outputs: readonly string[]): string[] {
    let keys = this.latestKeys.get(entry);
    if (!keys) this.latestKeys.set(entry, (keys = outputs.map((o) => `${entry.name}/${o}`)));
    return keys;
  }

  private latestFor(asset: string): Record<string, LatestScore> {
    let latest = this.latestByAsset.get(asset);
    if (!latest) this.latestByAsset.set(asset, (latest = {}));
    return latest;
  }

  /** Updates the windows reading by reading and collects one feature row per (model version, asset, ts) event. */
  private buildJobs(batch: ScoringBatch, from: number, to: number, versions: ModelVersion[]): Job[] {
    // Reading indexes per asset; consecutive readings mostly share an asset (one message), so the map is asked once
    // per run of them.
    const perAsset = this.perAsset;
    // Assets in the order this batch first names them (the lists themselves are kept from batch to batch).
    const touched = this.touched;
    for (const l of touched) l.n = 0;
    touched.length = 0;
    if (perAsset.size > 10_000) perAsset.clear(); // bounded: assets come and go over months
    let lastAsset: unknown;
    let list: IndexList | undefined;
    for (let i = from; i < to; i++) {
      const asset = batch.asset[i];
      const sensor = batch.sensor[i];
      const reason = typeof asset !== 'string' || asset === '' ? 'asset'
        : typeof sensor !== 'string' || sensor === '' ? 'sensor'
          : !Number.isFinite(batch.ts[i]) ? 'ts'
            : !Number.isFinite(batch.value[i]) ? 'value' : null;
      if (reason) {
        this.metrics.badReadings.inc({ reason });
        continue;
      }
      if (asset !== lastAsset || !list) {
        list = perAsset.get(asset as string);
        if (!list) perAsset.set(asset as string, (list = { asset: asset as string, idx: new Int32Array(256), n: 0 }));
        if (list.n === 0) touched.push(list);
        lastAsset = asset;
      }
      if (list.n === list.idx.length) list.idx = grown(list.idx, list.n * 2);
      list.idx[list.n++] = i;
    }
    const jobs = new Map<ModelVersion, Job>();
    for (const list of touched) {
      const asset = list.asset;
      const n = list.n;
      const readings = list.idx;
      const applicable = versions.filter((v) => v.loaded && v.matches(asset));
      let i = 0;
      while (i < n) {
        const ts = batch.ts[readings[i]!]!;
        let seq = batch.seq[readings[i]!]!;
        let j = i;
        // one scoring event: consecutive readings of the asset with the same ts (one multi-sensor message)
        while (j < n && batch.ts[readings[j]!] === ts) {
          const k = readings[j]!;
          this.windows.pushAt(asset, batch.sensor[k] as string, batch.ts, batch.value, k);
          seq = batch.seq[k]!;
          j++;
        }
        for (const v of applicable) {
          let touches = false;
          for (let e = i; e < j && !touches; e++) touches = v.sensors.has(batch.sensor[readings[e]!] as string);
          if (!touches) continue;
          let job = jobs.get(v);
          if (!job) {
            job = this.jobOf.get(v);
            const width = v.loaded!.featureNames.length;
            if (!job || job.width !== width) this.jobOf.set(v, (job = newJob(v, width, JOB_ROWS)));
            job.n = 0; // the rows are overwritten from 0, the buffers kept
            jobs.set(v, job);
          }
          if (job.n === job.ts.length) {
            job = widen(job);
            jobs.set(v, job);
            this.jobOf.set(v, job);
          }
          const got = this.windows.vectorInto(asset, v.loaded!.manifest.input, ts, job.features, job.n * job.width);
          if (got === 'filling') continue; // a stream warming up is not bad data
          if (got === 'incomplete') {
            this.metrics.badReadings.inc({ reason: 'incomplete-input' });
            continue;
          }
          job.asset[job.n] = asset;
          job.ts[job.n] = ts;
          job.seq[job.n] = seq;
          job.n++;
        }
        i = j;
      }
    }
    return [...jobs.values()];
  }

  /**
   * One run() for the rows. On failure of an active version the error is counted; after `consecutiveErrors`
   * failures it is rolled back and the rows are scored by the version it replaced. A latency blow-up rolls back too.
   */
  private async runJob(models: ModelRegistry, entry: ModelVersion, features: Float64Array, n: number, mayRollBack: boolean):
  Promise<{ entry: ModelVersion; columns: Float64Array[] } | null> {
    const loaded = entry.loaded;
    if (!loaded) return null;
    const labels = { model: entry.name, version: entry.version };
    const t0 = this.timer?.() ?? 0;
    let columns: Float64Array[];
    let runMs: number;
    try {
      ({ columns, runMs } = await loaded.runMatrixTimed(features, n));
    } catch (err) {
      const failures = models.recordFailure(entry);
      this.metrics.modelErrors.inc({ ...labels, reason: 'run' });
      this.log.warn({ err, model: entry.name, version: entry.version, rows: n }, 'model run failed');
      if (mayRollBack && entry.status === 'active' && failures >= this.config.rollback.consecutiveErrors) {
        const to = models.rollback(entry, `${failures} consecutive failed runs: ${(err as Error).message}`);
        // The rows were built for the failing version's input: the version it replaces scores them only if it
        // reads the same features in the same order (otherwise its next batches are scored from its own input).
        if (to && sameFeatures(entry, to)) {
          models.hold(to);
          try {
            return await this.runJob(models, to, features, n, false);
          } finally {
            models.unhold(to);
          }
        }
      }
      return null;
    }
    const ms = this.timer ? this.timer() - t0 : runMs;
    models.recordRun(entry, ms, n);
    this.metrics.rowsScored.inc(labels, n);
    this.metrics.scoreSeconds.observe(labels, ms / 1000);
    if (mayRollBack) this.checkLatency(models, entry);
    return { entry, columns };
  }

  /** Rolls an active version back when its recent runs are too slow, on their own or against the version it replaced. */
  private checkLatency(models: ModelRegistry, entry: ModelVersion): void {
    const cfg = this.config.rollback;
    const prev = entry.previous;
    if (entry.status !== 'active' || !prev?.loaded || entry.recent.length < cfg.minRuns) return;
    let ms = 0;
    let rows = 0;
    for (const r of entry.recent) {
      ms += r.ms;
      rows += r.rows;
    }
    const perRun = ms / entry.recent.length;
    const perRow = ms / rows;
    let reason: string | null = null;
    if (perRun > cfg.maxRunMs) reason = `mean run time ${perRun.toFixed(2)} ms over the last ${entry.recent.length} runs exceeds ${cfg.maxRunMs} ms`;
    else if (prev.runs >= cfg.minRuns && prev.rowsScored > 0) {
      const prevPerRow = prev.totalRunMs / prev.rowsScored;
      // a floor of 1 ms per run keeps microsecond jitter from counting as a blow-up
      if (perRow > cfg.latencyFactor * prevPerRow && perRun > 1) {
        reason = `${perRow.toFixed(3)} ms per row is over ${cfg.latencyFactor}x the ${prevPerRow.toFixed(3)} ms of ${prev.version}`;
      }
    }
    if (reason) models.rollback(entry, `latency: ${reason}`);
  }

  list(): ModelListing[] {
    if (!this.models) return [];
    return this.models.all().map((e) => {
      const m = e.manifest;
      const listing: ModelListing = {
        name: e.name, version: e.version, status: e.status, rowsScored: e.rowsScored,
        meanScoreMs: e.runs === 0 ? 0 : e.totalRunMs / e.runs,
        assets: m ? [...(m.assets.ids ?? []), ...(m.assets.glob ? [m.assets.glob] : [])] : [],
        outputs: m ? m.outputs.map((o) => o.name) : [],
      };
      if (e.error) listing.error = e.error;
      return listing;
    });
  }

  async predict(name: string, version: string | 'auto', features: Record<string, number>):
  Promise<{ outputs: Record<string, number>; version: string }> {
    const models = this.models;
    const entry = !models ? undefined : version === 'auto' ? models.active(name) : models.get(name, version);
    if (!models || !entry || !entry.loaded) throw new ModelNotFoundError(version === 'auto' ? name : `${name}/${version}`);
    const names = entry.loaded.featureNames;
    const given = Object.keys(features ?? {});
    const missing = names.filter((n) => !Object.hasOwn(features, n));
    const extra = given.filter((k) => !names.includes(k));
    if (missing.length || extra.length) throw new FeatureMismatchError(`${entry.name}/${entry.version}`, missing, extra);
    const bad = names.filter((n) => typeof features[n] !== 'number' || !Number.isFinite(features[n]));
    if (bad.length) {
      throw new SmartmaintError('SMARTMAINT_MODEL_FEATURES_INVALID', `features must be finite numbers: ${bad.join(', ')}`);
    }
    models.hold(entry);
    try {
      const [outputs] = await entry.loaded.runRows([Float64Array.from(names, (n) => features[n]!)]);
      return { outputs: outputs!, version: entry.version };
    } finally {
      models.unhold(entry);
    }
  }

  /** The alert thresholds of one output of a model version, from its validated manifest ([] if unknown). */
  thresholds(model: string, version: string, output: string): ManifestThreshold[] {
    return (this.models?.get(model, version)?.manifest?.thresholds ?? []).filter((t) => t.output === output);
  }

  /** The unit a manifest gives an output (e.g. `cycles` for RUL), or null. */
  outputUnit(model: string, version: string, output: string): string | null {
    return this.models?.get(model, version)?.manifest?.outputs.find((o) => o.name === output)?.unit ?? null;
  }

  latest(asset: string): Record<string, LatestScore> {
    // copies: the engine updates its own entries in place
    const out: Record<string, LatestScore> = {};
    for (const [k, v] of Object.entries(this.latestByAsset.get(asset) ?? {})) out[k] = { ...v };
    return out;
  }
}
