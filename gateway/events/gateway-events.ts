/**
 * The events that carry a reading through the gateway after its commit, in the order they happen. Stages emit
 * them; the composition root (gateway.ts) decides who listens, so no stage imports the next one.
 */
import { EventBus } from '../../shared/event-bus.js';
import type { Logger } from '../../shared/logger.js';
import type { OutboxEntry } from '../outbox/rows.js';

export interface GatewayEvents {
  /** A group commit stored these entries (redeliveries of messages already stored are left out). */
  committed: [entries: readonly OutboxEntry[]];
  /** The scores and alerts of every reading up to this seq are stored: sync may send those readings. */
  scored: [upTo: number];
  /** An alert opened, changed or cleared: its retained message for `alerts/{asset}`. */
  alert: [message: { topic: string; payload: string }];
  /** The cloud accepted a batch: readings stored there, and when. */
  synced: [result: { readings: number; at: number }];
}

export type GatewayBus = EventBus<GatewayEvents>;

export function createGatewayBus(log: Logger): GatewayBus {
  return new EventBus<GatewayEvents>({
    onListenerError: (err, event) => log.error({ err, event }, 'event listener failed'),
  });
}
