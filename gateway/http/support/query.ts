/** Query-string parsing shared by the paged read endpoints. */
import { z } from 'zod';

/** Epoch milliseconds or an ISO-8601 time, as a query parameter. */
export const timeParam = z.string().transform((raw, ctx) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO-8601 time' });
    return z.NEVER;
  }
  return n;
});

export const limitParam = (max: number, dflt: number) =>
  z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number)
    .pipe(z.number().int().min(1).max(max)).optional().transform((v) => v ?? dflt);

export const seqParam = z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).optional();

/** The path of the following page: same query, cursor moved past the last row. */
export function nextPath(path: string, query: Record<string, string | undefined>, cursorName: string, cursor: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== cursorName) params.set(k, v);
  params.set(cursorName, String(cursor));
  return `${path}?${params.toString()}`;
}
