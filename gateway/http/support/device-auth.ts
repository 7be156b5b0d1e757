/**
 * HTTP device authentication with the identities MQTT uses: `X-API-Key: <secret>` or `Authorization: Bearer
 * <secret>` (a generated secret, looked up by its SHA-256), or `Authorization: Basic base64(id:password)` (any
 * device, including those with a human-chosen password).
 */
import type { Device, DeviceRegistry } from '../../devices/device-registry.js';

export type HttpAuthResult = { ok: true; device: Device } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' };

type Headers = Record<string, string | string[] | undefined>;

export function authenticateRequest(headers: Headers, devices: DeviceRegistry): HttpAuthResult | Promise<HttpAuthResult> {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (bearer) return bySecret(bearer[1]!, devices);
    const basic = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(auth);
    if (!basic) return { ok: false, reason: 'malformed' };
    const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) return { ok: false, reason: 'malformed' };
    const verified = devices.verify(text.slice(0, colon), text.slice(colon + 1));
    return verified instanceof Promise ? verified.then(toResult) : toResult(verified);
  }
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return bySecret(key.trim(), devices);
  return { ok: false, reason: 'missing' };
}

function bySecret(secret: string, devices: DeviceRegistry): HttpAuthResult {
  if (secret.length > 512) return { ok: false, reason: 'malformed' };
  return toResult(devices.deviceForSecret(secret));
}

function toResult(device: Device | undefined): HttpAuthResult {
  return device ? { ok: true, device } : { ok: false, reason: 'unknown' };
}
