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
