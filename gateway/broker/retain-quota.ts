/**
 * Per-device quota of retained messages (count and bytes). Aedes keeps every retained message in memory for as
 * long as the broker runs, so one device retaining large payloads on many of its own topics could exhaust memory.
 * A retained PUBLISH over its publisher's quota is still delivered (and stored as a reading if it is telemetry),
 * only not kept in the retained store. Each topic's retained message is charged to the device that published it.
 */
export interface RetainQuotaConfig {
  retainedMessages: number;
  retainedBytes: number;
}

interface Usage { count: number; bytes: number }

/** The principal of anonymous clients (they share one quota). */
const ANONYMOUS = '\u0000anonymous';

export class RetainQuota {
  readonly #config: RetainQuotaConfig;
  readonly #topics = new Map<string, { owner: string; bytes: number }>();
  readonly #usage = new Map<string, Usage>();

  constructor(config: RetainQuotaConfig) {
    this.#config = config;
  }

  /** May this retained PUBLISH replace the topic's retained message? Records it when yes. */
  admit(deviceId: string | null, topic: string, payloadBytes: number): boolean {
    const owner = deviceId ?? ANONYMOUS;
    const old = this.#topics.get(topic);
    if (payloadBytes === 0) {
      // An empty retained message deletes the topic's (MQTT-3.3.1-10): always allowed, frees its owner's quota.
      if (old) this.#charge(old.owner, -1, -old.bytes);
      this.#topics.delete(topic);
      return true;
    }
    const usage = this.#usage.get(owner) ?? { count: 0, bytes: 0 };
    const replacing = old?.owner === owner ? old : undefined;
    const count = usage.count + (replacing ? 0 : 1);
    const bytes = usage.bytes - (replacing?.bytes ?? 0) + payloadBytes;
    if (count > this.#config.retainedMessages || bytes > this.#config.retainedBytes) return false;
    if (old) this.#charge(old.owner, -1, -old.bytes);
    this.#charge(owner, 1, payloadBytes);
    this.#topics.set(topic, { owner, bytes: payloadBytes });
    return true;
  }

  usage(deviceId: string | null): Usage {
    return { ...(this.#usage.get(deviceId ?? ANONYMOUS) ?? { count: 0, bytes: 0 }) };
  }

  #charge(owner: string, count: number, bytes: number): void {
    const u = this.#usage.get(owner) ?? { count: 0, bytes: 0 };
    u.count += count;
    u.bytes += bytes;
    if (u.count <= 0) this.#usage.delete(owner);
    else this.#usage.set(owner, u);
  }
}
