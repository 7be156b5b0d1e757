import t from 'tap';
import { httpSuite } from './http-suite.js';
import { openStore } from './helpers.js';

httpSuite(t, (tt) => openStore(tt, 'sqlite'));
