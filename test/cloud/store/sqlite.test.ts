import t from 'tap';
import { openStore } from '../helpers.js';
import { storeContract } from '../store-contract.js';

t.test('with the writer thread (the default)', async (t) => storeContract(t, (tt) => openStore(tt, 'sqlite', { writerThread: true })));

t.test('inline writes on the calling thread', async (t) => storeContract(t, (tt) => openStore(tt, 'sqlite', { writerThread: false })));
