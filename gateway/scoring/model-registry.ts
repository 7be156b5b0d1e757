/**
 * The models directory as a set of versions and their state: `<modelsDir>/<name>/<version>/{manifest.json,model.onnx}`.
 * The registry keeps, per version, its status, its loaded session, its rollback target and its run statistics,
 * and publishes every change (log, lifecycle metrics, status gauge, the onEvent listener). It applies what the
 * directory says: new or changed folders are validated in full before anything changes; a valid newer active
 * version is swapped in by replacing one reference (atomic for the next micro-batch), the one it replaces stays
 * loaded for rollback, a manifest in shadow mode loads as a shadow, and a folder that fails validation leaves the
 * serving version untouched. It judges no run: when a version is rolled back or promoted is decided by its
 * caller (the scoring engine, from run failures and latency; an operator), which it never calls back. A session
 * is released once no run holds it and its version neither serves nor is a rollback target.
 */
import { readdir, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { loadOnnxTypes, type OnnxTypes } from '../../shared/ml/onnx-proto.js';
import { loadModel, type LoadedModel } from './model-loader.js';
import { assetMatcher, type ModelManifest } from '../../shared/ml/manifest.js';
import { FeatureWindows } from './feature-windows.js';
import { ModelNotFoundError } from './model-errors.js';
import type { ScoringConfig } from '../config/scoring-config.js';
import type { ScoringMetrics } from './scoring-metrics.js';
import type { SessionFactory } from './ort-sessions.js';

export type VersionStatus = 'active' | 'shadow' | 'failed' | 'retired';

/** One model version as its users see it: read-only; it changes only through the registry's methods. */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly status: VersionStatus;
  readonly loaded: LoadedModel | null;
  /** Kept after the session is released, for listings. */
  readonly manifest: ModelManifest | null;
  readonly error: string | null;
  /** The version this one replaced, kept loaded for rollback. */
  readonly previous: ModelVersion | null;
  readonly matches: (asset: string) => boolean;
  readonly sensors: ReadonlySet<string>;
  readonly rowsScored: number;
  readonly runs: number;
  readonly totalRunMs: number;
  readonly consecutiveErrors: number;
  /** The last `rollback.minRuns` runs (since the version became active). */
  readonly recent: ReadonlyArray<{ ms: number; rows: number }>;
}

/** The registry's own record of a version. */
interface VersionEntry extends ModelVersion {
  status: VersionStatus;
  loaded: LoadedModel | null;
  manifest: ModelManifest | null;
  error: string | null;
  signature: string;
  /** Files as they were when rolled back: not reloaded until they change. */
  rolledBackSignature: string | null;
  previous: VersionEntry | null;
  matches: (asset: string) => boolean;
  sensors: Set<string>;
  rowsScored: number;
  runs: number;
  totalRunMs: number;
  consecutiveErrors: number;
  recent: Array<{ ms: number; rows: number }>;
  /** Runs holding the session (hold/unhold). */
  inflight: number;
  releaseWhenIdle: boolean;
}

/** Every ModelVersion handed out is one of the registry's entries. */
function own(v: ModelVersion): VersionEntry {
  return v as VersionEntry;
}

export type RegistryEvent =
  | { kind: 'loaded' | 'swapped' | 'retired'; entry: ModelVersion }
  | { kind: 'refused'; entry: ModelVersion; error: string }
  | { kind: 'rolled-back'; entry: ModelVersion; to: ModelVersion | null; reason: string };

/** Orders versions: dotted numeric parts numerically, anything else as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

async function signatureOf(dir: string): Promise<string | null> {
  try {
    const [m, o] = await Promise.all([stat(join(dir, 'manifest.json')), stat(join(dir, 'model.onnx'))]);
    return `${m.size}:${m.mtimeMs}:${o.size}:${o.mtimeMs}`;
  } catch {
    return null;
  }
}

export interface ModelRegistryDeps {
  modelsDir: string;
  log: Logger;
  config: ScoringConfig;
  /** Every loaded version's input is registered here, so its windows are kept from its first reading. */
  windows: FeatureWindows;
  sessions: SessionFactory;
  metrics: Pick<ScoringMetrics, 'lifecycle' | 'modelErrors' | 'modelStatus'>;
  /** Lifecycle events, e.g. for logs or tests. */
  onEvent?: (e: RegistryEvent) => void;
}

export class ModelRegistry {
  private readonly deps: ModelRegistryDeps;
  private readonly entries = new Map<string, VersionEntry>();
  /** Signatures seen on the previous scan, for the settle rule. */
  private readonly seen = new Map<string, string>();
  private readonly types: OnnxTypes;
  private scanning: Promise<void> = Promise.resolve();
  private watchers: FSWatcher[] = [];
  private pollTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private dirUnreadable = false;
  private recursiveWatch = false;
  private nameDirs = new Set<string>();

  constructor(deps: ModelRegistryDeps) {
    this.deps = deps;
    this.types = loadOnnxTypes();
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh({ settle: false });
    if (this.deps.config.watch) this.rewatch();
    if (this.deps.config.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => { void this.refresh({ settle: true }); }, this.deps.config.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.pollTimer = null;
    this.settleTimer = null;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    await this.scanning.catch(() => undefined);
    await Promise.all([...this.entries.values()].map(async (e) => {
      const m = e.loaded;
      e.loaded = null;
      await m?.release().catch(() => undefined);
    }));
  }

  /** All known versions (any status), by name and version. */
  all(): ModelVersion[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  /** The loaded active version of a model. */
  active(name: string): ModelVersion | undefined {
    return this.activeEntry(name);
  }

  get(name: string, version: string): ModelVersion | undefined {
    return this.entries.get(`${name}/${version}`);
  }

  /** A run is about to use the version's session: it stays loaded until unhold(). */
  hold(v: ModelVersion): void {
    own(v).inflight++;
  }

  /** The run is over; a session no longer needed is released now. */
  unhold(v: ModelVersion): void {
    const e = own(v);
    e.inflight--;
    this.releaseIfIdle(e);
  }

  /** A run of `rows` rows that took `ms`: counted, and kept among the last `rollback.minRuns` runs. */
  recordRun(v: ModelVersion, ms: number, rows: number): void {
    const e = own(v);
    e.consecutiveErrors = 0;
    e.runs++;
    e.totalRunMs += ms;
    e.rowsScored += rows;
    e.recent.push({ ms, rows });
    if (e.recent.length > this.deps.config.rollback.minRuns) e.recent.shift();
  }

  /** A failed run; returns how many runs in a row have failed. */
  recordFailure(v: ModelVersion): number {
    return ++own(v).consecutiveErrors;
  }

  private activeEntry(name: string): VersionEntry | undefined {
    return [...this.entries.values()].find((e) => e.name === name && e.status === 'active' && e.loaded !== null);
  }

  /**
   * Rescans the models dir. With settle (watch/poll), a new or changed folder is loaded only once two scans agree
   * on its files; without (start, explicit refresh), at once. Scans never overlap.
   */
  refresh(opts: { settle: boolean } = { settle: false }): Promise<void> {
    const next = this.scanning.then(() => this.scan(opts.settle)).catch((err: unknown) => {
      this.deps.log.error({ err }, 'models dir scan failed');
    });
    this.scanning = next;
    return next;
  }

  private scheduleSettledScan(): void {
    if (this.stopped || this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      void this.refresh({ settle: true });
    }, this.deps.config.settleMs);
    this.settleTimer.unref();
  }

  private rewatch(): void {
    if (this.watchers.length > 0 && this.recursiveWatch) return; // one recursive watcher sees everything
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const add = (dir: string, recursive: boolean): boolean => {
      try {
        const w = watch(dir, { persistent: false, recursive }, () => this.scheduleSettledScan());
        w.on('error', (err) => this.deps.log.warn({ err, dir }, 'models dir watch failed; polling continues'));
        this.watchers.push(w);
        return true;
      } catch (err) {
        if (!recursive) this.deps.log.warn({ err, dir }, 'cannot watch models dir; polling continues');
        return false;
      }
    };
    // recursive: also sees a manifest rewritten in place; where unavailable, watch the dir and each model's dir
    this.recursiveWatch = add(this.deps.modelsDir, true);
    if (this.recursiveWatch) return;
    add(this.deps.modelsDir, false);
    for (const name of this.nameDirs) add(join(this.deps.modelsDir, name), false);
  }

  private async listVersionDirs(): Promise<Array<{ name: string; version: string; dir: string }>> {
    const out: Array<{ name: string; version: string; dir: string }> = [];
    let names: string[];
    try {
      names = (await readdir(this.deps.modelsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (err) {
      // said once per outage, not on every poll
      if (!this.dirUnreadable) this.deps.log.warn({ err, modelsDir: this.deps.modelsDir }, 'cannot read models dir');
      this.dirUnreadable = true;
      return out;
    }
    this.dirUnreadable = false;
    const visible = names.filter((n) => !n.startsWith('.')).sort();
    const changed = visible.length !== this.nameDirs.size || visible.some((n) => !this.nameDirs.has(n));
    this.nameDirs = new Set(visible);
    if (changed && this.deps.config.watch && !this.stopped && this.watchers.length > 0 && !this.recursiveWatch) this.rewatch();
    for (const name of visible) {
      let versions: string[];
      try {
        versions = (await readdir(join(this.deps.modelsDir, name), { withFileTypes: true }))
          .filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
      } catch {
        continue;
      }
      for (const version of versions) out.push({ name, version, dir: join(this.deps.modelsDir, name, version) });
    }
    return out;
  }

  private async scan(settle: boolean): Promise<void> {
    if (this.stopped) return;
    const dirs = await this.listVersionDirs();
    const present = new Set<string>();
    const pending: Array<{ key: string; name: string; version: string; dir: string; signature: string }> = [];
    let unsettled = false;
    for (const d of dirs) {
      const signature = await signatureOf(d.dir);
      if (signature === null) continue; // not a model folder (or still being written)
      const key = `${d.name}/${d.version}`;
      present.add(key);
      const known = this.entries.get(key);
      if (known && known.signature === signature) continue;
      if (known && known.rolledBackSignature === signature) continue;
      if (settle && this.seen.get(key) !== signature) {
        this.seen.set(key, signature);
        unsettled = true;
        continue;
      }
      this.seen.set(key, signature);
      pending.push({ key, ...d, signature });
    }
    // folders that went away
    for (const [key, e] of this.entries) {
      if (present.has(key)) continue;
      this.entries.delete(key);
      this.seen.delete(key);
      if (e.status === 'active' && e.previous?.loaded) this.activate(e.previous, null);
      this.retire(e);
      this.deps.log.info({ model: e.name, version: e.version }, 'model version folder removed');
    }
    pending.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
    for (const p of pending) await this.loadVersion(p);
    if (unsettled) this.scheduleSettledScan();
  }

  private newEntry(p: { name: string; version: string; dir: string; signature: string }): VersionEntry {
    return {
      name: p.name, version: p.version, dir: p.dir, status: 'failed', loaded: null, manifest: null, error: null,
      signature: p.signature, rolledBackSignature: null, previous: null, matches: () => false, sensors: new Set(),
      rowsScored: 0, runs: 0, totalRunMs: 0, consecutiveErrors: 0, recent: [], inflight: 0, releaseWhenIdle: false,
    };
  }

  private async loadVersion(p: { key: string; name: string; version: string; dir: string; signature: string }): Promise<void> {
    const existing = this.entries.get(p.key);
    let loaded: LoadedModel;
    try {
      loaded = await loadModel(p.dir, { types: this.types, threads: this.deps.config.threads, sessions: this.deps.sessions,
        expect: { name: p.name, version: p.version }, maxBytes: this.deps.config.maxModelBytes });
    } catch (err) {
      const message = (err as Error).message;
      if (existing && existing.loaded) {
        // the serving copy stays; only its files are bad now
        existing.error = message;
        existing.signature = p.signature;
        this.deps.log.warn({ err, model: p.name, version: p.version }, 'changed model refused; the loaded copy keeps serving');
        this.publish({ kind: 'refused', entry: existing, error: message });
        return;
      }
      const entry = existing ?? this.newEntry(p);
      entry.status = 'failed';
      entry.error = message;
      entry.signature = p.signature;
      this.entries.set(p.key, entry);
      this.deps.log.warn({ err, model: p.name, version: p.version }, 'model refused; the previous version keeps serving');
      this.publish({ kind: 'refused', entry, error: message });
      return;
    }
    if (this.stopped) {
      await loaded.release();
      return;
    }
    this.deps.windows.require(loaded.manifest.input);
    const entry = this.newEntry(p);
    entry.loaded = loaded;
    entry.manifest = loaded.manifest;
    entry.matches = assetMatcher(loaded.manifest.assets);
    entry.sensors = FeatureWindows.sensorsOf(loaded.manifest.input);
    this.entries.set(p.key, entry);
    if (existing) {
      // same version folder rewritten: replace in place, keep its status unless the manifest asks otherwise
      entry.previous = existing.previous;
      const wasActive = existing.status === 'active';
      if (existing.status !== 'failed') existing.status = 'retired';
      if (wasActive && loaded.manifest.mode === 'active') {
        entry.status = 'active';
        this.publish({ kind: 'swapped', entry });
        this.deps.log.info({ model: p.name, version: p.version }, 'model version reloaded');
        this.releaseLater(existing);
        return;
      }
      if (wasActive) {
        // demoted to shadow on disk: the previous version (if any) serves again
        if (existing.previous?.loaded) this.activate(existing.previous, null);
      }
      this.releaseLater(existing);
    }
    if (loaded.manifest.mode === 'shadow') {
      entry.status = 'shadow';
      this.deps.log.info({ model: p.name, version: p.version }, 'model version loaded in shadow mode');
      this.publish({ kind: 'loaded', entry });
      return;
    }
    const current = this.activeEntry(p.name);
    if (current && current !== entry && compareVersions(p.version, current.version) < 0) {
      // an older version (e.g. at start-up): keep it only as the rollback target
      entry.status = 'retired';
      if (!current.previous || compareVersions(current.previous.version, p.version) < 0) {
        if (current.previous) this.retire(current.previous);
        current.previous = entry;
      } else this.retire(entry);
      this.publish({ kind: 'retired', entry });
      return;
    }
    this.activate(entry, current ?? null);
    this.deps.log.info({ model: p.name, version: p.version, replaced: current?.version }, 'model version active');
    this.publish({ kind: current ? 'swapped' : 'loaded', entry });
  }

  /** Makes `entry` the active version; `replaced` becomes its rollback target. */
  private activate(entry: VersionEntry, replaced: VersionEntry | null): void {
    if (replaced && replaced !== entry) {
      replaced.status = 'retired';
      if (replaced.previous && replaced.previous !== entry) this.retire(replaced.previous);
      replaced.previous = null;
      entry.previous = replaced;
    }
    entry.status = 'active';
    entry.consecutiveErrors = 0;
    entry.recent = [];
  }

  /** Promotes a shadow (or retired) version to active (the current active becomes its rollback target). */
  promote(name: string, version: string): ModelVersion {
    const entry = this.entries.get(`${name}/${version}`);
    if (!entry || !entry.loaded || (entry.status !== 'shadow' && entry.status !== 'retired')) {
      throw new ModelNotFoundError(`${name}/${version} in shadow or retired status`);
    }
    const current = this.activeEntry(name);
    this.activate(entry, current ?? null);
    this.publish({ kind: 'swapped', entry });
    return entry;
  }

  /** Rolls `v` back to the version it replaced. Returns the version now active, or null if there is none. */
  rollback(v: ModelVersion, reason: string): ModelVersion | null {
    const entry = own(v);
    const to = entry.previous?.loaded ? entry.previous : null;
    if (!to) return null;
    entry.status = 'failed';
    entry.error = `rolled back: ${reason}`;
    entry.rolledBackSignature = entry.signature;
    entry.previous = null;
    to.status = 'active';
    to.consecutiveErrors = 0;
    to.recent = [];
    this.releaseLater(entry);
    this.deps.log.warn({ model: entry.name, version: entry.version, to: to.version, reason }, 'model version rolled back');
    this.publish({ kind: 'rolled-back', entry, to, reason });
    return to;
  }

  /** Counts the change, refreshes the status gauge and tells the listener. */
  private publish(e: RegistryEvent): void {
    const m = this.deps.metrics;
    m.lifecycle.inc({ model: e.entry.name, event: e.kind });
    if (e.kind === 'refused') m.modelErrors.inc({ model: e.entry.name, version: e.entry.version, reason: 'invalid' });
    m.modelStatus.reset();
    for (const x of this.entries.values()) m.modelStatus.set({ model: x.name, version: x.version, status: x.status }, 1);
    this.deps.onEvent?.(e);
  }

  private retire(entry: VersionEntry): void {
    entry.status = entry.status === 'failed' ? 'failed' : 'retired';
    this.releaseLater(entry);
  }

  /** Releases the session once no run uses it. */
  private releaseLater(entry: VersionEntry): void {
    entry.releaseWhenIdle = true;
    this.releaseIfIdle(entry);
  }

  private releaseIfIdle(entry: VersionEntry): void {
    if (!entry.releaseWhenIdle || entry.inflight > 0 || !entry.loaded) return;
    const isTarget = [...this.entries.values()].some((e) => e.previous === entry);
    if (isTarget || entry.status === 'active' || entry.status === 'shadow') return;
    const m = entry.loaded;
    entry.loaded = null;
    void m.release().catch((err: unknown) => this.deps.log.warn({ err }, 'session release failed'));
  }
}
