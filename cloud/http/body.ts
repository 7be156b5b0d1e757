/**
 * The JSON body parser of the cloud: reads at most bodyLimit bytes (fastify enforces it while streaming),
 * gunzips with a hard cap on the output (zlib stops at maxOutputLength, so a gzip bomb costs at most that
 * much memory before it is refused with 413), then parses JSON. Only `gzip` and `identity` codings.
 */
import { gunzip, gunzipSync, type InputType, type ZlibOptions } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../../shared/protocol.js';
import { HttpError } from '../../shared/http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as JSON text bytes (after gunzip), kept for the Idempotency-Key body fingerprint. */
    rawJson: Buffer | null;
  }
}

/**
 * Bodies up to this size (as sent) are gunzipped on the event loop, up to SYNC_GUNZIP_MAX_OUTPUT_BYTES of
 * output: an ordinary batch takes well under a millisecond that way, while the thread-pool round trip of the
 * async gunzip puts the request at the back of the event loop's queue once more (measured: a few ms of latency
 * per request under load). A small body that inflates further (a large batch, or a bomb) starts again on the
 * thread pool with the full cap, so no body holds the event loop for more than about a megabyte of inflating.
 */
export const SYNC_GUNZIP_MAX_BYTES = 64 * 1024;
export const SYNC_GUNZIP_MAX_OUTPUT_BYTES = 1024 * 1024;

async function gunzipCapped(input: Buffer, options: ZlibOptions & { maxOutputLength: number }): Promise<Buffer> {
  if (input.length <= SYNC_GUNZIP_MAX_BYTES) {
    const syncCap = Math.min(options.maxOutputLength, SYNC_GUNZIP_MAX_OUTPUT_BYTES);
    try {
      return gunzipSync(input as InputType, { ...options, maxOutputLength: syncCap });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE' || syncCap === options.maxOutputLength) throw err;
    }
  }
  return new Promise((resolve, reject) => gunzip(input, options, (err, out) => (err ? reject(err) : resolve(out))));
}

export async function decodeBody(req: FastifyRequest, body: Buffer, maxDecompressedBytes: number): Promise<Buffer> {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  if (coding !== 'gzip' && coding !== 'x-gzip') {
    throw new HttpError(415, ERROR_CODES.unsupportedMediaType, `content coding '${coding.slice(0, 32)}' is not supported; use gzip`, {}, {
      'accept-encoding': 'gzip',
    });
  }
  try {
    return await gunzipCapped(body, { maxOutputLength: maxDecompressedBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(413, ERROR_CODES.payloadTooLarge, `decompressed body exceeds ${maxDecompressedBytes} bytes`, {
        limitBytes: maxDecompressedBytes,
      });
    }
    throw new HttpError(400, ERROR_CODES.invalidEncoding, 'body is not valid gzip');
  }
}

export function registerJsonParser(app: FastifyInstance, limits: { bodyLimitBytes: number; decompressedLimitBytes: number }): void {
  app.decorateRequest('rawJson', null);
  // Only JSON is accepted: fastify's text/plain parser goes too, so anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: limits.bodyLimitBytes },
    async (req: FastifyRequest, body: Buffer) => {
      const json = await decodeBody(req, body, limits.decompressedLimitBytes);
      req.rawJson = json;
      if (json.length === 0) throw new HttpError(400, ERROR_CODES.invalidEncoding, 'body is empty');
      try {
        return JSON.parse(json.toString('utf8')) as unknown;
      } catch {
        throw new HttpError(400, ERROR_CODES.invalidEncoding, 'body is not valid JSON');
      }
    },
  );
}
