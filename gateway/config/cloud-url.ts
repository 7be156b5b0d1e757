/**
 * The rules for the cloud URL: it carries the gateway's Bearer key, so plain http:// is refused unless the cloud
 * is on this machine or sync.allowInsecureHttp says so (logged at start); and it is never logged or shown with the
 * user name and password it may hold.
 */
import type { z } from 'zod';
import { isLoopbackHost } from './security-config.js';

/** The URL with any user name and password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '***';
    u.password = u.password === '' ? '' : '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** True when requests to this URL would send the key in clear beyond this machine. */
export function isInsecureRemote(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && !isLoopbackHost(u.hostname.replace(/^\[|\]$/g, ''));
}

/** zod refinement of the gateway's `sync` object. */
export function refineCloudUrl(sync: { cloudUrl?: string | undefined; allowInsecureHttp: boolean }, ctx: z.RefinementCtx): void {
  if (sync.cloudUrl === undefined || sync.allowInsecureHttp) return;
  if (isInsecureRemote(sync.cloudUrl)) {
    ctx.addIssue({
      code: 'custom',
      path: ['cloudUrl'],
      message: `${redactUrl(sync.cloudUrl)} would send the gateway's API key in clear; use https://, or set sync.allowInsecureHttp on a network you trust`,
    });
  }
}
