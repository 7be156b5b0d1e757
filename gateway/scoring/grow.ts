/**
 * The scoring path keeps its per-reading state in typed arrays that grow by doubling and are reused, never
 * shrunk: this is the one place that grows one.
 */

/** A copy of `a` with room for `capacity` elements; the elements of `a` come first. */
export function grown<T extends Float64Array | Int32Array>(a: T, capacity: number): T {
  const next = new (a.constructor as new (length: number) => T)(capacity);
  next.set(a);
  return next;
}
