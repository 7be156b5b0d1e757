import t from 'tap';
import { httpSuite } from './http-suite.js';
import { openStore, pgUnavailable } from './helpers.js';

const unavailable = await pgUnavailable();
if (unavailable) {
  t.test('PostgreSQL backend', { skip: `PostgreSQL HTTP tests skipped: ${unavailable}` }, async () => {});
} else {
  httpSuite(t, (tt) => openStore(tt, 'postgres'));
}
