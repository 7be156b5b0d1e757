/**
 * Packing a batch's readings for the writer thread keeps every field exactly, including seqs up to
 * Number.MAX_SAFE_INTEGER and the nulls of optional fields, and survives a transfer to a worker.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import t from 'tap';
import { NUM_COLS, TEXT_COLS, packReadings, transferables, type PackedReadings } from '../../../cloud/store/packed-readings.js';

/** Text column `col` of reading `i`, decoded as the writer thread decodes it. */
function textAt(p: PackedReadings, i: number, col: number): string | null {
  const k = p.text[i * TEXT_COLS + col]!;
  return k < 0 ? null : p.strings[k]!;
}
import type { ReadingRow } from '../../../cloud/store/store.js';

const rows: ReadingRow[] = [
  { seq: 0, ts: 1_764_000_000_000, receivedAt: 1_764_000_000_001, asset: 'pump-1', sensor: 'temp', value: -0.5, unit: null, quality: null, scores: null, historical: false },
  { seq: Number.MAX_SAFE_INTEGER, ts: 8.64e15, receivedAt: 0, asset: 'ünï', sensor: 's"2', value: 1e308, unit: '°C', quality: '"good"',
    scores: '[{"model":"m","version":"1","output":"o","value":0.5}]', historical: true },
];

t.test('every field comes back from the columns', async (t) => {
  const packed = packReadings(rows);
  t.equal(packed.length, 2);
  const back = (i: number): ReadingRow => {
    const n = packed.nums.subarray(i * NUM_COLS, (i + 1) * NUM_COLS);
    const s = (col: number) => textAt(packed, i, col);
    return { seq: n[0]!, ts: n[1]!, receivedAt: n[2]!, value: n[3]!, historical: n[4] === 1, asset: s(0)!, sensor: s(1)!, unit: s(2), quality: s(3), scores: s(4) };
  };
  t.same(back(0), rows[0]);
  t.same(back(1), rows[1]);
  const many = packReadings(Array.from({ length: 100 }, (_, i) => ({ ...rows[0]!, seq: i, sensor: `s${i % 3}` })));
  t.same(many.strings, ['pump-1', 's0', 's1', 's2'], 'each distinct string crosses once');
});

t.test('the numbers cross a message port by transfer, the rows stay as they were', async (t) => {
  const packed = packReadings(rows);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(packed, transferables(packed));
  t.equal(packed.nums.length, 0, 'the sender no longer holds the buffers (transferred, not copied)');
  t.equal(packed.text.length, 0);
  const got = receiveMessageOnPort(port2)!.message as typeof packed;
  t.equal(got.nums[NUM_COLS], Number.MAX_SAFE_INTEGER);
  t.equal(textAt(got, 1, 2), '°C');
  t.equal(textAt(got, 0, 2), null);
  t.equal(rows[1]!.seq, Number.MAX_SAFE_INTEGER);
  port1.close();
  port2.close();
});
