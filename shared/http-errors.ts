/**
 * HTTP refusals, one shape for both programs, in the manner of fastify's lib/errors.js: an `HttpError` carries a
 * code from the registry (errors.ts ERROR_CODES) and its status, and is rendered as
 * `{ error: { code, message, ...extra } }`; validation problems are `issues: [{ path, message }]`. Internals
 * (stack, SQL, causes) never leave the process.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { ERROR_CODES, SmartmaintError, isRetryableStatus } from './errors.js';

/** One bad field of a request: where (dotted path, `(root)` for the whole body) and what is wrong. */
export interface Issue {
  path: string;
  message: string;
}

export class HttpError extends SmartmaintError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, { retryable: isRetryableStatus(status) });
  }

  /** Keeps the underlying failure for the log; it is never sent to the client. */
  withCause(cause: unknown): this {
    this.cause = cause;
    return this;
  }
}

/** A registered code with the status the registry gives it. */
export function httpError(code: string, message: string, extra: Record<string, unknown> = {}): HttpError {
  const status = ERROR_CODES[code]?.status;
  if (status === undefined) throw new TypeError(`${code} has no HTTP status in the error registry`);
  return new HttpError(status, code, message, extra);
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): { error: Record<string, unknown> & { code: string; message: string } } {
  return { error: { ...extra, code, message } };
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).type('application/json').send(errorBody(err.code, err.message, err.extra));
}

export function zodIssues(error: z.ZodError, limit = 100): Issue[] {
  return error.issues.slice(0, limit).map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** The codes a program answers with when no route decided: unknown path, a client error fastify found, a crash. */
export interface FallbackCodes {
  notFound: string;
  invalidRequest: string;
  internal: string;
  /** fastify's own error codes (body too large, wrong media type…) mapped to a status and a code of ours. */
  fastify?: Readonly<Record<string, { status: number; code: string; message: string }>>;
}

export function installErrorHandlers(app: FastifyInstance, codes: FallbackCodes): void {
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new HttpError(404, codes.notFound, `no route for ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`));
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) request.log.error({ err, cause: err.cause, url: request.url }, 'request failed');
      return sendError(reply, err);
    }
    const known = err.code ? codes.fastify?.[err.code] : undefined;
    if (known) return sendError(reply, new HttpError(known.status, known.code, known.message));
    const status = err.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // A client error fastify raised (a bad header, a JSON syntax error): its code when it is one of ours.
      const code = typeof err.code === 'string' && err.code in ERROR_CODES ? err.code : codes.invalidRequest;
      return sendError(reply, new HttpError(status, code, err.message));
    }
    request.log.error({ err, url: request.url }, 'request failed');
    return sendError(reply, new HttpError(500, codes.internal, 'internal error'));
  });
}
