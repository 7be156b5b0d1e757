/**
 * A batch's readings in columns, the form they cross to the SQLite writer thread in. Numbers go in one
 * Float64Array and text as indexes (an Int32Array) into the batch's distinct strings, both transferred, not
 * copied: structured-cloning an array of reading objects rebuilt every object property by property on the other
 * side, which measured about twice the cost per reading of packing, posting and reading the columns (2.1 vs
 * 1.0 µs per reading, both threads together), and a batch names the same few assets and sensors many times.
 */
import { StringTable } from '../../shared/string-table.js';
import type { IngestWrite, ReadingRow } from './store.js';

/** seq, ts, receivedAt, value, historical (0/1) */
export const NUM_COLS = 5;
/** asset, sensor, unit, quality, scores */
export const TEXT_COLS = 5;

export interface PackedReadings {
  length: number;
  nums: Float64Array;
  /** Index into `strings` per text column of each reading, -1 for null. */
  text: Int32Array;
  strings: string[];
}

/** An IngestWrite as the writer takes it: the readings packed. */
export type PackedWrite = Omit<IngestWrite, 'readings'> & { readings: PackedReadings };

export function packReadings(rows: readonly ReadingRow[]): PackedReadings {
  const n = rows.length;
  const nums = new Float64Array(n * NUM_COLS);
  const text = new Int32Array(n * TEXT_COLS);
  const table = new StringTable();
  const strings = table.strings;
  const ref = (v: string | null): number => table.ref(v);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const o = i * NUM_COLS;
    nums[o] = r.seq;
    nums[o + 1] = r.ts;
    nums[o + 2] = r.receivedAt;
    nums[o + 3] = r.value;
    nums[o + 4] = r.historical ? 1 : 0;
    const t = i * TEXT_COLS;
    text[t] = ref(r.asset);
    text[t + 1] = ref(r.sensor);
    text[t + 2] = ref(r.unit);
    text[t + 3] = ref(r.quality);
    text[t + 4] = ref(r.scores);
  }
  return { length: n, nums, text, strings };
}

/** The buffers to transfer with a packed batch. */
export function transferables(p: PackedReadings): ArrayBuffer[] {
  return [p.nums.buffer as ArrayBuffer, p.text.buffer as ArrayBuffer];
}

export function packWrite(w: IngestWrite): PackedWrite {
  return { ...w, readings: packReadings(w.readings) };
}
