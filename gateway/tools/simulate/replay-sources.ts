/**
 * Messages replayed by `smartmaint simulate`: dataset rows as MQTT telemetry, one asset per engine / machine,
 * one sensor per column, in the multi-value shape `telemetry/{asset}` `{"ts", "values": {...}}`.
 * Pure generators over the data in models/data; the publisher adds timestamps and pacing.
 */
import { PRODUCT_QUALITY, type Ai4iRow, type Engine } from '../../../shared/ml/datasets.js';

export interface ReplayMessage {
  topic: string;
  values: Record<string, number>;
}

/**
 * C-MAPSS: cycle by cycle, round-robin over the first `engines` engines (engine-<unit>), each message all
 * columns of one cycle: s1…s21, cycle, setting1…setting3. Engines that ran out drop out of the rotation.
 */
export function* cmapssMessages(data: readonly Engine[], engines: number): Generator<ReplayMessage> {
  const chosen = data.slice(0, engines);
  const longest = Math.max(0, ...chosen.map((e) => e.rows.length));
  for (let c = 0; c < longest; c++) {
    for (const e of chosen) {
      const row = e.rows[c];
      if (!row) continue;
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (k !== 'unit') values[k] = v;
      yield { topic: `telemetry/engine-${e.unit}`, values };
    }
  }
}

/**
 * AI4I: rows in file order, spread over `machines` machines per product quality: row i of type T goes to
 * mill-<T>-<n>. Values: product_quality (L=0, M=1, H=2), air_temp_k, process_temp_k, rpm, torque_nm,
 * tool_wear_min — the names the ai4i-failure manifest reads.
 */
export function* ai4iMessages(rows: readonly Ai4iRow[], machines: number): Generator<ReplayMessage> {
  const seen = { L: 0, M: 0, H: 0 };
  for (const r of rows) {
    const n = (seen[r.type]++ % machines) + 1;
    yield {
      topic: `telemetry/mill-${r.type}-${n}`,
      values: { product_quality: PRODUCT_QUALITY[r.type], air_temp_k: r.airTempK, process_temp_k: r.processTempK,
        rpm: r.rpm, torque_nm: r.torqueNm, tool_wear_min: r.toolWearMin },
    };
  }
}
