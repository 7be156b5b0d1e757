/**
 * What a cloud answer means for a batch — decided here and nowhere else.
 *   ok          2xx: advance (accepted, duplicates) and record per-reading refusals
 *   retry       connection errors, timeouts, 408, 409 (same key in flight), 429, 5xx: same batch later
 *   auth        401, 403: the key is wrong or revoked; sync waits in `auth-failed` until a key works
 *   rekey       422 idempotency key reused: the cloud saw this key with another body; send under a new key
 *   split       400, 413 and other 4xx: the batch cannot be taken as is; find or isolate the offending readings
 */
import { isRetryable, isRetryableStatus } from '../../shared/errors.js';

export type BatchOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number | undefined }
  | { kind: 'auth'; status: number; code: string }
  | { kind: 'rekey' }
  | { kind: 'split'; status: number; code: string; message: string; readingIssues: Map<number, string> };

export function classifyStatus(
  status: number,
  body: { error?: { code?: unknown; message?: unknown; issues?: unknown } } | null,
  retryAfterMs: number | undefined,
): BatchOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${status}`;
  if (status === 401 || status === 403) return { kind: 'auth', status, code };
  if (status === 409 || isRetryableStatus(status)) return { kind: 'retry', reason: `http-${status}`, retryAfterMs };
  if (status === 422 && code === 'IDEMPOTENCY_KEY_REUSED') return { kind: 'rekey' };
  return { kind: 'split', status, code, message, readingIssues: readingIssues(body?.error?.issues) };
}

/** Maps `readings.<index>...` issue paths from a 400 answer to a message per batch index. */
function readingIssues(issues: unknown): Map<number, string> {
  const out = new Map<number, string>();
  if (!Array.isArray(issues)) return out;
  for (const issue of issues) {
    const path = typeof issue?.path === 'string' ? issue.path : '';
    const m = /^readings\.(\d+)(?:\.(.*))?$/.exec(path);
    if (m) out.set(Number(m[1]), `${m[2] ?? 'reading'}: ${String(issue.message ?? 'invalid')}`);
  }
  return out;
}

export function classifyError(err: unknown): BatchOutcome {
  const code = (err as { code?: string } | null)?.code ?? 'UNKNOWN';
  // Anything that is not an HTTP answer is a transport problem: retry. Listed codes are the expected ones.
  return { kind: 'retry', reason: isRetryable(err) ? code.toLowerCase() : `transport-${code.toLowerCase()}` };
}
