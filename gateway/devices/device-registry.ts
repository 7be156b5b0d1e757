/**
 * The gateway's in-memory view of `devices.db`: who may connect, with which secret, to which topics.
 * It polls PRAGMA data_version (a few microseconds) so a `smartmaint devices` change made while the gateway runs
 * takes effect within one poll interval; removed devices and changed secrets are reported to listeners (the broker
 * closes their connections). Verification is synchronous for generated secrets and scrypt-once-per-credential for
 * passwords (successful verifications are cached by digest and forgotten whenever the file changes).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DeviceAcl } from './acl.js';
import { DeviceMetrics } from './device-metrics.js';
import { DeviceStore, type DeviceRecord } from './device-store.js';
import { verifyPassword } from '../auth/scrypt-password.js';
import { sha256Hex } from './secrets.js';

export interface Device {
  id: string;
  scheme: DeviceRecord['scheme'];
  acl: DeviceAcl;
  /** The device may use client ids equal to one of these or starting with one of these and `-`. */
  clientIdPrefixes: readonly string[];
}

interface Entry extends Device {
  hash: string;
  /** SHA-256 digest bytes for the 'sha256' scheme. */
  digest: Buffer | null;
}

export type RevokedListener = (deviceIds: ReadonlySet<string>) => void;

export interface DeviceRegistryOptions {
  dataDir: string;
  pollIntervalMs: number;
  log: Logger;
  /** The gateway's metrics registry; device auth and ACL counters are registered on it. */
  registry: Registry;
}

const MAX_CACHED = 10_000;

export class DeviceRegistry {
  readonly #options: DeviceRegistryOptions;
  readonly metrics: DeviceMetrics;
  #store: DeviceStore | undefined;
  #timer: NodeJS.Timeout | undefined;
  #version = -1;
  #byId = new Map<string, Entry>();
  /** hex SHA-256 of a generated secret → its device (the HTTP key lookup). */
  #bySecret = new Map<string, Entry>();
  /** digest of (id, password) → device id, for passwords already verified with scrypt. */
  #verified = new Map<string, string>();
  readonly #listeners: RevokedListener[] = [];

  constructor(options: DeviceRegistryOptions) {
    this.#options = options;
    this.metrics = new DeviceMetrics(options.registry);
  }

  start(): void {
    this.#store = DeviceStore.open(this.#options.dataDir);
    this.reload();
    this.#timer = setInterval(() => this.poll(), this.#options.pollIntervalMs);
    this.#timer.unref();
    this.#options.log.info({ devices: this.#byId.size }, 'device registry loaded');
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#store?.close();
    this.#store = undefined;
  }

  get size(): number {
    return this.#byId.size;
  }

  onRevoked(listener: RevokedListener): void {
    this.#listeners.push(listener);
  }

  get(id: string): Device | undefined {
    return this.#byId.get(id);
  }

  /**
   * The device a client id belongs to: the one with the longest prefix it matches (`p` or `p-…`), so device
   * `plc` (prefix plc) does not own `plc-pump-7` while a device `plc-pump-7` exists. undefined: no device's.
   */
  clientIdOwner(clientId: string): string | undefined {
    let owner: string | undefined;
    let longest = -1;
    for (const e of this.#byId.values()) {
      for (const p of e.clientIdPrefixes) {
        if (p.length > longest && (clientId === p || (clientId.startsWith(p) && clientId.charCodeAt(p.length) === 0x2d))) {
          owner = e.id;
          longest = p.length;
        }
      }
    }
    return owner;
  }

  /** Re-reads the file if another connection committed to it since the last look. */
  poll(): void {
    const store = this.#store;
    if (!store) return;
    try {
      const version = store.dataVersion();
      if (version !== this.#version) this.reload(version);
    } catch (err) {
      this.#options.log.error({ err }, 'device registry poll failed; keeping the last known devices');
    }
  }

  reload(version?: number): void {
    const store = this.#store;
    if (!store) return;
    this.#version = version ?? store.dataVersion();
    const byId = new Map<string, Entry>();
    const bySecret = new Map<string, Entry>();
    for (const r of store.all()) {
      let acl: DeviceAcl;
      try {
        acl = new DeviceAcl(r.allow);
      } catch (err) {
        this.#options.log.error({ err, deviceId: r.id }, 'device has an unusable allow list; it is granted nothing');
        acl = new DeviceAcl([]);
      }
      const e: Entry = { id: r.id, scheme: r.scheme, acl, clientIdPrefixes: Object.freeze(r.clientIds ?? [r.id]), hash: r.hash,
        digest: r.scheme === 'sha256' ? Buffer.from(r.hash, 'hex') : null };
      byId.set(r.id, e);
      if (r.scheme === 'sha256') bySecret.set(r.hash, e);
    }
    const revoked = new Set<string>();
    for (const [id, old] of this.#byId) {
      const now = byId.get(id);
      if (now === undefined || now.hash !== old.hash) revoked.add(id);
    }
    this.#byId = byId;
    this.#bySecret = bySecret;
    // Verified passwords stay cached except those of devices removed or re-keyed: adding one device must not make
    // every other device pay scrypt again on its next connect.
    for (const [key, id] of this.#verified) if (revoked.has(id) || !byId.has(id)) this.#verified.delete(key);
    if (revoked.size > 0) {
      this.#options.log.info({ devices: [...revoked] }, 'devices removed or re-keyed; closing their connections');
      for (const l of this.#listeners) {
        try {
          l(revoked);
        } catch (err) {
          this.#options.log.error({ err }, 'revocation listener failed');
        }
      }
    }
  }

  /** The device whose generated secret this is (HTTP `X-API-Key` / Bearer), or undefined. Synchronous. */
  deviceForSecret(secret: string): Device | undefined {
    const digest = createHash('sha256').update(secret).digest();
    const e = this.#bySecret.get(digest.toString('hex'));
    // The map lookup found the candidate; the comparison that decides is constant-time.
    return e?.digest && timingSafeEqual(e.digest, digest) ? e : undefined;
  }

  /**
   * Username + password (MQTT CONNECT, HTTP Basic). Synchronous for generated secrets and cached passwords;
   * a Promise only when scrypt has to run.
   */
  verify(id: string, password: string | Buffer): Device | undefined | Promise<Device | undefined> {
    const e = this.#byId.get(id);
    if (e === undefined) return undefined;
    if (e.digest !== null) {
      const digest = createHash('sha256').update(password).digest();
      return timingSafeEqual(e.digest, digest) ? e : undefined;
    }
    const cacheKey = sha256Hex(Buffer.concat([Buffer.from(id), Buffer.from([0]), Buffer.from(password)]));
    if (this.#verified.get(cacheKey) === id) return e;
    const version = this.#version;
    return verifyPassword(password, e.hash).then(
      (ok) => {
        if (!ok) return undefined;
        // Only cache against the file version the check ran against; a change meanwhile may have revoked it.
        if (this.#version === version && this.#byId.get(id) === e) {
          if (this.#verified.size >= MAX_CACHED) this.#verified.clear();
          this.#verified.set(cacheKey, id);
          return e;
        }
        const current = this.#byId.get(id);
        return current?.hash === e.hash ? current : undefined;
      },
      () => undefined,
    );
  }
}
