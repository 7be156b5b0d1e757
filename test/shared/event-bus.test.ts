import t from 'tap';
import { EventBus } from '../../shared/event-bus.js';

type Events = { committed: [n: number]; alert: [topic: string, payload: string] };

t.test('listeners run in the order they were added, with the event\'s arguments', async (t) => {
  const errors: string[] = [];
  const bus = new EventBus<Events>({ onListenerError: (_err, event) => errors.push(event) });
  const seen: string[] = [];
  bus.on('committed', (n) => seen.push(`a${n}`));
  bus.on('committed', (n) => seen.push(`b${n}`));
  bus.on('alert', (topic, payload) => seen.push(`${topic}=${payload}`));
  bus.emit('committed', 3);
  bus.emit('alert', 'alerts/p1', '{}');
  t.same(seen, ['a3', 'b3', 'alerts/p1={}']);
  t.equal(bus.listenerCount('committed'), 2);
  t.same(errors, []);
});

t.test('a throwing listener is reported and the others still run', async (t) => {
  const errors: Array<[string, string]> = [];
  const bus = new EventBus<Events>({ onListenerError: (err, event) => errors.push([event, (err as Error).message]) });
  const seen: number[] = [];
  bus.on('committed', () => { throw new Error('boom'); });
  bus.on('committed', (n) => seen.push(n));
  bus.emit('committed', 1);
  t.same(seen, [1]);
  t.same(errors, [['committed', 'boom']]);
});

t.test('removing a listener, also while an emit is under way', async (t) => {
  const bus = new EventBus<Events>({ onListenerError: () => t.fail('no listener throws') });
  const seen: string[] = [];
  let offB: () => void = () => undefined;
  const offA = bus.on('committed', () => { seen.push('a'); offB(); });
  offB = bus.on('committed', () => seen.push('b'));
  bus.emit('committed', 1); // b was removed during this emit but still runs in it
  bus.emit('committed', 2);
  offA();
  offA(); // twice is harmless
  bus.emit('committed', 3);
  t.same(seen, ['a', 'b', 'a']);
  t.equal(bus.listenerCount('committed'), 0);
  bus.emit('alert', 'x', 'y'); // no listener at all
});
