/**
 * Errors with a stable `code`, in the manner of undici: callers branch on `code`, never on message text.
 * Whether a failure is worth retrying is decided here, once, by `isRetryable`.
 */
export class SmartmaintError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** A command line or configuration that cannot be used. The process exits 2 and nothing starts. */
export class ConfigError extends SmartmaintError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = []) {
    super('SMARTMAINT_CONFIG_INVALID', message);
    this.issues = issues;
  }
}

/** Unknown flag, missing argument, wrong command. Exit 2, like getopt tools. */
export class UsageError extends SmartmaintError {
  constructor(message: string) {
    super('SMARTMAINT_USAGE', message);
  }
}

/**
 * A command could not do its work for a reason outside the program (a server that does not answer, a database
 * that refuses): the message says what failed, where, and what to try. Exit 1, one line, no stack.
 */
export class CommandError extends SmartmaintError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}

/** The outbox could not store something (disk full, I/O error). Retryable: the device keeps the message. */
export class StorageError extends SmartmaintError {
  constructor(message: string, cause?: unknown) {
    super('SMARTMAINT_STORAGE_FAILED', message, { cause, retryable: true });
  }
}

/** The outbox refuses new data under its disk budget policy. Retryable once space is reclaimed. */
export class OutboxFullError extends SmartmaintError {
  constructor(message = 'outbox is at its disk budget and refuses new readings') {
    super('SMARTMAINT_OUTBOX_FULL', message, { retryable: true });
  }
}

/** The component is stopping or stopped; work handed to it now is refused. */
export class ShuttingDownError extends SmartmaintError {
  constructor(what: string) {
    super('SMARTMAINT_SHUTTING_DOWN', `${what} is shutting down`, { retryable: true });
  }
}

const RETRYABLE_NET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
  'UND_ERR_ABORTED', 'UND_ERR_REQ_RETRY',
]);

/** The one place that decides whether a failure is transient. HTTP statuses follow RFC 9110 semantics. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof SmartmaintError) return err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE_NET_CODES.has(code)) return true;
  return false;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'SMARTMAINT_INTERNAL';
}

/** An error's message on one line (drivers put newlines and stacks in theirs), with its code when it has one. */
export function oneLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | null;
  const raw = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  // AggregateError (several addresses refused) has an empty message; its first error says enough.
  const first = (err as { errors?: unknown[] } | null)?.errors?.[0];
  const text = (raw === String(err) && first !== undefined ? oneLine(first) : raw).split('\n')[0]!.trim();
  const code = typeof e?.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : '';
  return `${text}${code}`;
}

/** A URL fit for a message: the password, if any, replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

export interface ErrorCodeDoc {
  /** Who reports it: the CLI, the gateway daemon, its HTTP API, the cloud's API, a model. */
  where: string;
  /** The HTTP status it is answered with, for codes an HTTP API sends. */
  status?: number;
  meaning: string;
}

/**
 * Every code either program reports, in one place: the gateway's and the CLI's `SMARTMAINT_*` codes and the cloud
 * API's wire codes (shared/protocol.ts names them for the gateway's sync). The README's error table is generated
 * from it, an HttpError takes its status from here (http-errors.ts), and a test fails when the sources use a code
 * that is not listed.
 */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeDoc>> = Object.freeze({
  SMARTMAINT_CONFIG_INVALID: { where: 'CLI', meaning: 'a configuration field is invalid; every bad field is listed with its path (exit 2)' },
  SMARTMAINT_USAGE: { where: 'CLI', meaning: 'unknown command or flag, missing argument (exit 2)' },
  SMARTMAINT_STORAGE_UNAVAILABLE: { where: 'CLI (`keys`)', meaning: 'the key store could not be opened; the message names the database and what to check (exit 1)' },
  SMARTMAINT_BROKER_UNREACHABLE: { where: 'CLI (`simulate`)', meaning: 'the MQTT broker did not accept the connection (exit 1)' },
  SMARTMAINT_DEVICE_EXISTS: { where: 'CLI (`devices add`)', meaning: 'a device with this id exists; use `devices passwd` or remove it first' },
  SMARTMAINT_DEVICE_NOT_FOUND: { where: 'CLI (`devices`)', meaning: 'no device with this id' },
  SMARTMAINT_ACL_PATTERN_INVALID: { where: 'CLI (`devices add --allow`)', meaning: 'an allow entry is neither a valid topic filter nor an asset glob' },
  SMARTMAINT_STORAGE_FAILED: { status: 503, where: 'gateway; HTTP 503', meaning: 'the outbox could not commit; QoS 1 not acknowledged, health 503 (retryable)' },
  SMARTMAINT_OUTBOX_FULL: { status: 503, where: 'gateway; HTTP 503', meaning: 'the disk budget refuses new readings (`reject-new`) (retryable)' },
  SMARTMAINT_SHUTTING_DOWN: { status: 503, where: 'gateway; HTTP 503', meaning: 'work handed to a stopping component (retryable)' },
  SMARTMAINT_BUSY: { status: 503, where: 'gateway HTTP 503 (Retry-After)', meaning: 'ingest is paused: too many readings wait for the outbox writer; retry shortly' },
  SMARTMAINT_AUTH_THROTTLED: { status: 429, where: 'gateway HTTP 429', meaning: 'too many failed sign-ins from this address or for this user; retry later' },
  SMARTMAINT_HOST_NOT_ALLOWED: { status: 421, where: 'gateway HTTP 421', meaning: 'the Host header names neither an IP address, localhost nor an entry of http.allowedHosts' },
  SMARTMAINT_INVALID_REQUEST: { status: 400, where: 'gateway HTTP 400/422', meaning: 'query or body does not validate; `issues` lists every bad field' },
  SMARTMAINT_UNSUPPORTED_MEDIA_TYPE: { status: 415, where: 'gateway HTTP 415', meaning: 'the ingest body is not `application/json`' },
  SMARTMAINT_BODY_TOO_LARGE: { status: 413, where: 'gateway HTTP 413', meaning: 'the body exceeds `api.maxBodyBytes`' },
  SMARTMAINT_BATCH_TOO_LARGE: { status: 413, where: 'gateway HTTP 413', meaning: 'more readings in one body than `api.maxBatchItems`' },
  SMARTMAINT_UNAUTHORIZED: { status: 401, where: 'gateway HTTP 401', meaning: 'no or unknown device credential (ingest) or technician password (pages)' },
  SMARTMAINT_FORBIDDEN: { status: 403, where: 'gateway HTTP 403', meaning: 'the device\'s ACL does not allow writing these assets' },
  SMARTMAINT_IDEMPOTENCY_IN_FLIGHT: { status: 409, where: 'gateway HTTP 409', meaning: 'a request with the same Idempotency-Key is still being processed' },
  SMARTMAINT_IDEMPOTENCY_KEY_REUSED: { status: 422, where: 'gateway HTTP 422', meaning: 'the Idempotency-Key was used before with another body' },
  SMARTMAINT_NOT_FOUND: { status: 404, where: 'gateway HTTP 404', meaning: 'no such route' },
  SMARTMAINT_MODEL_NOT_FOUND: { status: 404, where: 'gateway HTTP 404; models', meaning: 'no loaded model (or active version) of that name' },
  SMARTMAINT_MODEL_FEATURES_MISMATCH: { status: 422, where: 'gateway HTTP 422', meaning: 'predict: the features do not match the model\'s; `missing` and `extra` name them' },
  SMARTMAINT_MODEL_FEATURES_INVALID: { status: 422, where: 'gateway HTTP 422', meaning: 'predict: a feature value is not a finite number' },
  SMARTMAINT_MODELS_UNAVAILABLE: { status: 503, where: 'gateway HTTP 503', meaning: 'scoring is off on this gateway (`scoring.enabled`, `--no-scoring`)' },
  SMARTMAINT_MODEL_INVALID: { where: 'models', meaning: 'a model folder is refused (manifest, ONNX graph or their agreement); `problems` lists why' },
  SMARTMAINT_MODEL_RUN_FAILED: { where: 'models', meaning: 'a model failed to score a batch (counts towards rollback)' },
  SMARTMAINT_INTERNAL: { status: 500, where: 'gateway HTTP 500', meaning: 'an unexpected error (details only in the log)' },
  // The cloud API (its answers to gateways and operators); the names the gateway's sync uses are in protocol.ts.
  INVALID_BATCH: { status: 400, where: 'cloud HTTP 400', meaning: 'the body is not an ingest batch; `issues` lists every bad path' },
  INVALID_REQUEST: { status: 400, where: 'cloud HTTP 400', meaning: 'bad query, parameters or heartbeat; `issues` lists every bad field' },
  INVALID_ENCODING: { status: 400, where: 'cloud HTTP 400', meaning: 'corrupt gzip or JSON, or an empty body' },
  UNAUTHENTICATED: { status: 401, where: 'cloud HTTP 401', meaning: 'no API key, or an unknown one' },
  FORBIDDEN: { status: 403, where: 'cloud HTTP 403', meaning: 'the key is not valid for this gateway or this endpoint' },
  KEY_REVOKED: { status: 403, where: 'cloud HTTP 403', meaning: 'the key was revoked' },
  NOT_FOUND: { status: 404, where: 'cloud HTTP 404', meaning: 'no such route or gateway' },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, where: 'cloud HTTP 409', meaning: 'a batch with the same Idempotency-Key is still being processed (retryable)' },
  PAYLOAD_TOO_LARGE: { status: 413, where: 'cloud HTTP 413', meaning: 'the body, or the decompressed body, is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, where: 'cloud HTTP 415', meaning: 'not JSON, or a content coding other than gzip' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, where: 'cloud HTTP 422', meaning: 'the Idempotency-Key was used before with another body (the gateway resends under a new key)' },
  RATE_LIMITED: { status: 429, where: 'cloud HTTP 429 (Retry-After)', meaning: 'the per-key rate limit is exceeded; retry after the given time' },
  INTERNAL: { status: 500, where: 'cloud HTTP 500', meaning: 'an unexpected error (details only in the log)' },
  UNAVAILABLE: { status: 503, where: 'cloud HTTP 503', meaning: 'storage unavailable, or the server is shutting down (retryable)' },
});
