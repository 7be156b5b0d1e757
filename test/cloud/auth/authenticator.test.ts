import t from 'tap';
import { Authenticator, presentedKey } from '../../../cloud/auth/authenticator.js';
import { addKey, openStore, silentLog } from '../helpers.js';

t.test('presented key from Bearer or X-API-Key', async (t) => {
  t.equal(presentedKey({ authorization: 'Bearer abc' }), 'abc');
  t.equal(presentedKey({ authorization: 'bearer  abc ' }), 'abc');
  t.equal(presentedKey({ 'x-api-key': 'k' }), 'k');
  t.equal(presentedKey({ authorization: 'Basic abc' }), undefined);
  t.equal(presentedKey({}), undefined);
});

t.test('outcomes, cache and revocation within the TTL', async (t) => {
  const store = await openStore(t, 'sqlite');
  const gw = await addKey(store, 'gateway', 'gw1');
  let now = 0;
  let lookups = 0;
  const counting = Object.assign(Object.create(store), {
    findKey: (id: string) => {
      lookups++;
      return store.findKey(id);
    },
  });
  const auth = new Authenticator({ store: counting, cacheTtlMs: 1000, clock: () => now, log: silentLog });
  t.match(await auth.authenticate(undefined), { ok: false, status: 401, reason: 'missing' });
  t.match(await auth.authenticate('garbage'), { ok: false, status: 401, reason: 'malformed' });
  t.equal(lookups, 0, 'garbage never reaches the database');
  t.match(await auth.authenticate(gw.key), { ok: true, principal: { keyId: gw.record.id, kind: 'gateway', gatewayId: 'gw1' } });
  await Promise.all([auth.authenticate(gw.key), auth.authenticate(gw.key)]);
  t.equal(lookups, 1, 'cached');
  t.match(await auth.authenticate(gw.key.slice(0, -1) + (gw.key.endsWith('A') ? 'B' : 'A')), { status: 401, reason: 'wrong-secret', gatewayId: 'gw1' });
  await store.revokeKey(gw.record.id, 1);
  t.ok((await auth.authenticate(gw.key)).ok, 'still cached');
  now += 1001;
  t.match(await auth.authenticate(gw.key), { ok: false, status: 403, reason: 'revoked' });
});
