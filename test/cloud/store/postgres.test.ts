import t from 'tap';
import { openStore, pgUnavailable } from '../helpers.js';
import { storeContract } from '../store-contract.js';

const unavailable = await pgUnavailable();
if (unavailable) {
  t.test('PostgreSQL backend', { skip: `PostgreSQL contract tests skipped: ${unavailable}` }, async () => {});
} else {
  storeContract(t, (tt) => openStore(tt, 'postgres'));
}
