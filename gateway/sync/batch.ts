/** One batch on its way to the cloud: the readings, alerts and gaps it carries, and which lane it came from. */
import { randomUUID } from 'node:crypto';
import type { Alert, Gap, Reading } from '../../shared/protocol.js';
import type { PendingReading } from '../outbox/rows.js';

/** `priority` (alerts, gaps, anomalous readings) > `live` (seq > liveStart) > `backlog` (seq <= liveStart). */
export type Lane = 'priority' | 'live' | 'backlog';

export interface Batch {
  /** Also the batch's Idempotency-Key: a new body needs a new id. */
  id: string;
  lane: Lane;
  readings: PendingReading[];
  alerts: Alert[];
  gaps: Array<Gap & { id: number }>;
  /** The gzipped body, built once and resent as is. */
  gz: Buffer | undefined;
  attempts: number;
}

export function newBatch(lane: Lane, readings: PendingReading[], alerts: Alert[], gaps: Array<Gap & { id: number }>): Batch {
  return { id: randomUUID(), lane, readings, alerts, gaps, gz: undefined, attempts: 0 };
}

/** The same batch under a new key with other readings (a split): built and sent afresh. */
export function rebatch(batch: Batch, changes: Partial<Pick<Batch, 'readings' | 'alerts' | 'gaps'>>): Batch {
  return { ...batch, ...changes, id: randomUUID(), gz: undefined, attempts: 0 };
}

/** Marks a batch's readings historical; a new body needs a new Idempotency-Key. */
export function relabelAsBacklog(b: Batch): void {
  b.lane = 'backlog';
  for (const r of b.readings) r.historical = true;
  b.id = randomUUID();
  b.gz = undefined;
}

export function stripEstimate(r: PendingReading): Reading {
  const { sizeEstimate: _s, ...reading } = r;
  return reading;
}
