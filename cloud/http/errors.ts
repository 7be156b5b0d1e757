/** HTTP refusals with a stable code; rendered as `{ error: { code, message, ... } }` by the error handler. */
import type { FastifyReply } from 'fastify';
import { SmartmaintError } from '../../shared/errors.js';
import type { ErrorBody, ErrorCode } from '../../shared/protocol.js';

export class HttpError extends SmartmaintError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, { retryable: status === 408 || status === 429 || status >= 500 });
  }

  /** Keeps the underlying failure for the log; it is never sent to the client. */
  withCause(cause: unknown): this {
    this.cause = cause;
    return this;
  }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { error: { ...extra, code, message } };
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).send(errorBody(err.code, err.message, err.extra));
}
