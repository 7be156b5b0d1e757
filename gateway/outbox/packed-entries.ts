/**
 * A group commit's entries in the form they cross to the writer thread: every reading's numbers in one
 * Float64Array and its text as indexes (an Int32Array) into the batch's distinct strings, both transferred, not
 * copied; per-entry fields in columns too. Structured-cloning reading objects would rebuild each one property
 * by property on the other side, and a batch names the same few assets, sensors and clients many times.
 * Dead letters and HTTP event records are rare and cross as they are.
 */
import { StringTable } from '../../shared/string-table.js';
import type { OutboxEntry, DeadLetterRow, HttpEventRecord } from './rows.js';

/** Columns of `entryInts`. */
export const ENTRY_COLS = 5;
/** ts, receivedAt, value, numeric quality (NaN: none) */
const NUM_COLS = 4;
/** asset, sensor, unit, text quality */
const TEXT_COLS = 4;

export interface PackedEntries {
  /** Entries in the batch. */
  entries: number;
  /**
   * Per entry (ENTRY_COLS): readings count (-1: a dead letter only), packet id (-1: none), digest (-1: none),
   * redelivery window start and end (-1: not a redelivery).
   */
  entryInts: Float64Array;
  /** Per entry: source, client id (string indexes, -1: null). */
  entryText: Int32Array;
  readings: number;
  nums: Float64Array;
  text: Int32Array;
  strings: string[];
  /** Entry index → dead letter. */
  deadLetters: Array<[number, DeadLetterRow]>;
  /** Entry index → HTTP events and Idempotency-Key record, written in the same transaction. */
  http: Array<[number, HttpEventRecord]>;
}

export function packEntries(entries: readonly OutboxEntry[]): PackedEntries {
  let readings = 0;
  for (const e of entries) readings += e.readings?.length ?? 0;
  const table = new StringTable();
  const strings = table.strings;
  const ref = (v: string | null): number => table.ref(v);
  const entryInts = new Float64Array(entries.length * ENTRY_COLS);
  const entryText = new Int32Array(entries.length * 2);
  const nums = new Float64Array(readings * NUM_COLS);
  const text = new Int32Array(readings * TEXT_COLS);
  const deadLetters: Array<[number, DeadLetterRow]> = [];
  const http: Array<[number, HttpEventRecord]> = [];
  let r = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const o = i * ENTRY_COLS;
    entryInts[o] = e.readings === null ? -1 : e.readings.length;
    entryInts[o + 1] = e.packetId ?? -1;
    entryInts[o + 2] = e.digest ?? -1;
    entryInts[o + 3] = e.redelivery?.sinceMs ?? -1;
    entryInts[o + 4] = e.redelivery?.beforeMs ?? -1;
    entryText[i * 2] = ref(e.source);
    entryText[i * 2 + 1] = ref(e.clientId);
    if (e.deadLetter !== null) deadLetters.push([i, e.deadLetter]);
    if (e.http !== undefined) http.push([i, e.http]);
    if (e.readings === null) continue;
    for (const x of e.readings) {
      const o = r * NUM_COLS;
      nums[o] = x.ts;
      nums[o + 1] = x.receivedAt;
      nums[o + 2] = x.value;
      nums[o + 3] = typeof x.quality === 'number' ? x.quality : Number.NaN;
      const t = r * TEXT_COLS;
      text[t] = ref(x.asset);
      text[t + 1] = ref(x.sensor);
      text[t + 2] = ref(x.unit);
      text[t + 3] = typeof x.quality === 'string' ? ref(x.quality) : -1;
      r++;
    }
  }
  return { entries: entries.length, entryInts, entryText, readings, nums, text, strings, deadLetters, http };
}

/** The buffers to transfer with a packed batch. */
export function transferList(p: PackedEntries): ArrayBuffer[] {
  return [p.entryInts.buffer as ArrayBuffer, p.entryText.buffer as ArrayBuffer, p.nums.buffer as ArrayBuffer, p.text.buffer as ArrayBuffer];
}
