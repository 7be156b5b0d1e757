/**
 * Keys for the demo, provisioned automatically: one gateway key for the demo gateway and one operator key for
 * the fleet view. Unlike `smartmaint keys`, the demo keeps the secrets in its state dir (keys.json, mode 0600)
 * so a second `npm start` reuses them; a saved key that is gone or revoked is replaced.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, MAX_LIVE_KEYS_PER_GATEWAY } from '../../cloud/auth/keys.js';
import type { CloudStore, KeyKind } from '../../cloud/store/store.js';

export interface DemoKeys {
  gatewayKey: string;
  operatorKey: string;
}

interface Saved { gateway?: { id: string; key: string }; operator?: { id: string; key: string } }

export async function provisionDemoKeys(store: CloudStore, stateDir: string, gatewayId: string, now: number): Promise<DemoKeys> {
  const file = join(stateDir, 'keys.json');
  let saved: Saved = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    } catch {
      saved = {};
    }
  }
  const usable = async (k: Saved['gateway'], kind: KeyKind): Promise<boolean> => {
    if (!k) return false;
    const record = await store.findKey(k.id);
    return record !== null && record.revokedAt === null && record.kind === kind && (kind === 'operator' || record.gatewayId === gatewayId);
  };
  if (!(await usable(saved.gateway, 'gateway'))) {
    // Keys of an earlier demo whose secrets were lost would block the new one (two live keys per gateway).
    for (const k of await store.listKeys()) {
      if (k.kind === 'gateway' && k.gatewayId === gatewayId && k.revokedAt === null) await store.revokeKey(k.id, now);
    }
    const g = generateKey('gateway', gatewayId, now, 'demo');
    await store.createKey(g.record, MAX_LIVE_KEYS_PER_GATEWAY);
    saved.gateway = { id: g.record.id, key: g.key };
  }
  if (!(await usable(saved.operator, 'operator'))) {
    const o = generateKey('operator', null, now, 'demo');
    await store.createKey(o.record, MAX_LIVE_KEYS_PER_GATEWAY);
    saved.operator = { id: o.record.id, key: o.key };
  }
  writeFileSync(file, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { gatewayKey: saved.gateway!.key, operatorKey: saved.operator!.key };
}
