import t from 'tap';
import { RateLimiter } from '../../../cloud/auth/rate-limit.js';

t.test('token bucket: burst, then the sustained rate, with a Retry-After hint', async (t) => {
  let now = 0;
  const rl = new RateLimiter({ requestsPerSecond: 2, burst: 3, clock: () => now });
  t.same([rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.ok), [true, true, true]);
  t.same(rl.take('a'), { ok: false, retryAfterS: 1 });
  t.ok(rl.take('b').ok, 'keys are independent');
  now += 500;
  t.ok(rl.take('a').ok, 'one token back after 1/rate seconds');
  t.notOk(rl.take('a').ok);
  now += 60_000;
  t.same([1, 2, 3, 4].map(() => rl.take('a').ok), [true, true, true, false], 'refills to the burst, not beyond');
});

t.test('rate 0 disables; the map stays bounded', async (t) => {
  const off = new RateLimiter({ requestsPerSecond: 0, burst: 1, clock: () => 0 });
  for (let i = 0; i < 10; i++) t.ok(off.take('a').ok);
  let now = 0;
  const rl = new RateLimiter({ requestsPerSecond: 1, burst: 1, clock: () => now, maxTracked: 100 });
  for (let i = 0; i < 1000; i++) rl.take(`k${i}`);
  t.ok(rl.size <= 100, `tracked ${rl.size}`);
  now += 10_000;
  rl.take('fresh');
  t.ok(rl.size <= 100);
});
