/**
 * The compact snapshot the status page renders, built from the gateway's components. Everything a technician
 * needs in one object: uplink in words, ingest rate, broker clients, assets with latest values, model outputs
 * with thresholds and open alerts, models loaded, recent dead letters, outbox disk use against its budget.
 */
import type { ClientInfo } from '../broker/broker.js';
import type { AlertEvent, ModelListing } from '../scoring/engine.js';
import type { SyncStatus } from '../sync/engine.js';
import type { Point, RecentWindow } from './recent-window.js';
import { uplinkView, type UplinkView } from './uplink-words.js';
import { assetFreshness, assetSeverity, compareAssets, type AssetSeverity } from './asset-health.js';

/** What the status page reads; the Gateway satisfies it structurally. */
export interface StatusSource {
  readonly config: {
    gatewayId: string;
    outbox: { maxBytes: number | null };
    scoring: { enabled: boolean };
  };
  readonly broker: { clients(): ClientInfo[] };
  readonly sync: { status(): SyncStatus };
  readonly budget: { enabled: boolean; usedBytes(): number };
  readonly outbox: { fileBytes(): number };
  readonly scoring: {
    list(): ModelListing[];
    latest(asset: string): Record<string, { model: string; version: string; output: string; value: number; ts: number }>;
    thresholds(model: string, version: string, output: string): Array<{ value: number; when: 'above' | 'below'; severity: string; clear?: number | undefined }>;
    outputUnit(model: string, version: string, output: string): string | null;
  } | undefined;
  readonly scoringStage: { openAlerts(asset?: string): AlertEvent[] } | undefined;
  readonly ingestRate: { perSecond(seconds?: number): number };
}

/** A threshold as charted: where it raises, and where a raised alert clears. */
export interface ThresholdView { value: number; when: 'above' | 'below'; severity: string; clear: number }

export interface OutputView {
  series: string;
  model: string;
  version: string;
  output: string;
  /** The manifest's unit of the output (e.g. cycles), or null. */
  unit: string | null;
  value: number;
  ts: number;
  thresholds: ThresholdView[];
}

export interface AssetView {
  asset: string;
  /** critical, warning (open alerts), stale (silent for a multiple of its usual interval) or healthy: the card order. */
  severity: AssetSeverity;
  lastSeenAt: number | null;
  intervalMs: number | null;
  staleAfterMs: number;
  /** Latest [ts, value] per sensor: the ts is that sensor's last-seen time. */
  sensors: Record<string, Point>;
  outputs: OutputView[];
  alerts: Array<Pick<AlertEvent, 'id' | 'model' | 'output' | 'severity' | 'value' | 'threshold' | 'ts'>>;
}

export interface DeadLetterView { id: number; receivedAt: number; topic: string; clientId: string | null; reason: string; detail: string }

export interface StatusSnapshot {
  ts: number;
  gatewayId: string;
  version: string;
  uplink: UplinkView;
  ingestRate: number;
  clients: Array<{ id: string; address: string; connectedAt: number; lastMessageAt: number | null; messages: number }>;
  assets: AssetView[];
  models: Array<{ name: string; version: string; status: string; shadow: boolean; rowsScored: number; error: string | null }>;
  deadLetters: DeadLetterView[];
  deadLettersTotal: number;
  disk: { usedBytes: number; budgetBytes: number | null };
  droppedSeries: number;
}

export function buildSnapshot(args: {
  source: StatusSource;
  now: number;
  version: string;
  sensors: RecentWindow;
  outputs: RecentWindow;
  drainRate: number | null;
  deadLetters: DeadLetterView[];
  deadLettersTotal: number;
}): StatusSnapshot {
  const { source, now } = args;
  const alerts = source.scoringStage?.openAlerts() ?? [];
  const alertsByAsset = new Map<string, AlertEvent[]>();
  for (const a of alerts) {
    const list = alertsByAsset.get(a.asset);
    if (list) list.push(a);
    else alertsByAsset.set(a.asset, [a]);
  }
  const names = new Set([...args.sensors.assets(), ...alertsByAsset.keys()]);
  const assets: AssetView[] = [...names].map((asset) => {
    const latest = source.scoring?.latest(asset) ?? {};
    const outputs: OutputView[] = Object.entries(latest)
      .filter(([, o]) => Number.isFinite(o.value))
      .map(([series, o]) => ({ series, model: o.model, version: o.version, output: o.output,
        unit: source.scoring?.outputUnit(o.model, o.version, o.output) ?? null, value: o.value, ts: o.ts,
        thresholds: (source.scoring?.thresholds(o.model, o.version, o.output) ?? [])
          .map((t) => ({ value: t.value, when: t.when, severity: t.severity, clear: t.clear ?? t.value })) }))
      // model/output order, as the fleet view draws them
      .sort((x, y) => x.series.localeCompare(y.series));
    const sensors = args.sensors.latest(asset);
    const fresh = assetFreshness(sensors, args.sensors.usualInterval(asset), now);
    const open = alertsByAsset.get(asset) ?? [];
    return {
      asset,
      severity: assetSeverity(open.map((a) => a.severity), fresh.stale),
      lastSeenAt: fresh.lastSeenAt,
      intervalMs: fresh.intervalMs,
      staleAfterMs: fresh.staleAfterMs,
      sensors,
      outputs,
      alerts: (alertsByAsset.get(asset) ?? []).map((a) => ({ id: a.id, model: a.model, output: a.output, severity: a.severity,
        value: a.value, threshold: a.threshold, ts: a.ts })),
    };
  }).sort(compareAssets);
  const models = (source.scoring?.list() ?? []).map((m) => ({
    name: m.name, version: m.version, status: m.status, shadow: m.status === 'shadow', rowsScored: m.rowsScored, error: m.error ?? null,
  }));
  return {
    ts: now,
    gatewayId: source.config.gatewayId,
    version: args.version,
    uplink: uplinkView(source.sync.status(), now, args.drainRate),
    ingestRate: Math.round(source.ingestRate.perSecond(10) * 10) / 10,
    clients: source.broker.clients().map((c) => ({
      id: c.clientId, address: c.address, connectedAt: c.connectedAt, lastMessageAt: c.lastMessageAt, messages: c.messages,
    })),
    assets,
    models,
    deadLetters: args.deadLetters,
    deadLettersTotal: args.deadLettersTotal,
    disk: {
      usedBytes: source.budget.enabled ? source.budget.usedBytes() : source.outbox.fileBytes(),
      budgetBytes: source.config.outbox.maxBytes,
    },
    droppedSeries: args.sensors.dropped + args.outputs.dropped,
  };
}
