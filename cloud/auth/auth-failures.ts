/**
 * Remembers in storage that a gateway's requests were refused because its own key was revoked, so the fleet
 * view on every instance can flag it `authFailing` — the failure mode that silently cost the origin system its
 * data. Callers note a gateway only for a key that belongs to it (auth-hook.ts), never for an id a request names.
 * Writes are throttled per gateway so a misconfigured gateway (or an attacker) cannot turn refusals
 * into a write storm; only gateways that own a key or exist already are recorded.
 */
import type { Logger } from '../../shared/logger.js';
import type { CloudStore } from '../store/store.js';

export class AuthFailureRecorder {
  private readonly lastWritten = new Map<string, number>();

  constructor(
    private readonly store: CloudStore,
    private readonly clock: () => number,
    private readonly log: Logger,
    private readonly minIntervalMs = 5_000,
  ) {}

  note(gatewayId: string | null | undefined): void {
    if (!gatewayId) return;
    const now = this.clock();
    const last = this.lastWritten.get(gatewayId);
    if (last !== undefined && now - last < this.minIntervalMs) return;
    if (this.lastWritten.size > 10_000) this.lastWritten.clear();
    this.lastWritten.set(gatewayId, now);
    this.store.recordAuthFailure(gatewayId, now).catch((err: unknown) => {
      this.log.warn({ err, gatewayId }, 'could not record auth failure');
    });
  }
}
