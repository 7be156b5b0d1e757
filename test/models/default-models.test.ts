/**
 * The committed default models: they load through the gateway's loader, and scored on the held-out data they
 * reach the targets (FD001 RMSE <= 14, AI4I ROC-AUC >= 0.97). Reads models/ and models/data only.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { evaluate } from '../../models/train/eval.js';

const modelsDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'models');

t.test('default models meet the targets', async (t) => {
  const e = await evaluate(modelsDir);
  t.ok(e.fd001.rmse <= 14, `FD001 RMSE ${e.fd001.rmse.toFixed(2)} <= 14`);
  t.ok(e.fd001.score < 400, `PHM08 score ${e.fd001.score.toFixed(0)}`);
  t.equal(e.fd001.engines, 100);
  t.ok(e.ai4i.rocAuc >= 0.97, `AI4I ROC-AUC ${e.ai4i.rocAuc.toFixed(4)} >= 0.97`);
  t.ok(e.ai4i.f1 > 0.7, `AI4I F1 ${e.ai4i.f1.toFixed(3)}`);
  t.ok(e.anomaly.falseAlarmRate < 0.01, `anomaly false alarms ${(e.anomaly.falseAlarmRate * 100).toFixed(2)}%`);
  t.ok(e.anomaly.trainEnginesAlarmed >= 90, `${e.anomaly.trainEnginesAlarmed} run-to-failure engines alarm`);
});
