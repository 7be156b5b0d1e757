import t from 'tap';
import { generateKey, hashKey, keyMatches, parseKeyId } from '../../../cloud/auth/keys.js';

t.test('keys carry an id prefix and 256 random bits; only the SHA-256 is kept', async (t) => {
  const { key, record } = generateKey('gateway', 'gw1', 5, 'main');
  t.match(key, /^smk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  t.equal(Buffer.from(key.split('_').slice(2).join('_'), 'base64url').length, 32);
  t.equal(parseKeyId(key), record.id);
  t.equal(record.hash, hashKey(key));
  t.notMatch(JSON.stringify(record), key.slice(17), 'the secret is not in the record');
  t.same({ kind: record.kind, gatewayId: record.gatewayId, label: record.label, createdAt: 5, revokedAt: null },
    { kind: 'gateway', gatewayId: 'gw1', label: 'main', createdAt: 5, revokedAt: null });
  t.not(generateKey('gateway', 'gw1', 5).key, key, 'random');
});

t.test('verification', async (t) => {
  const { key, record } = generateKey('operator', null, 1);
  t.ok(keyMatches(key, record.hash));
  t.notOk(keyMatches(key + 'x', record.hash));
  t.notOk(keyMatches(key, 'abcd'), 'a malformed stored hash never matches');
  t.equal(parseKeyId('smk_xyz_abc'), null);
  t.equal(parseKeyId(''), null);
  t.throws(() => generateKey('gateway', null, 1));
  t.throws(() => generateKey('operator', 'gw1', 1));
});
