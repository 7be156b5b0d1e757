import t from 'tap';
import { pino } from 'pino';
import { Lifecycle, type Component } from '../../shared/lifecycle.js';

const log = pino({ level: 'silent' });

function recorder(calls: string[], name: string, opts: { failStart?: boolean; failStop?: boolean; quiesce?: boolean } = {}): Component {
  return {
    name,
    start: async (signal) => {
      calls.push(`start ${name}${signal.aborted ? ' (aborted)' : ''}`);
      if (opts.failStart) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      calls.push(`stop ${name}`);
      if (opts.failStop) throw new Error(`${name} cannot stop`);
    },
    ...(opts.quiesce ? { quiesce: () => { calls.push(`quiesce ${name}`); } } : {}),
  };
}

t.test('start in order; quiesce, then stop, in reverse order', async (t) => {
  const calls: string[] = [];
  const life = new Lifecycle([recorder(calls, 'a'), recorder(calls, 'b', { quiesce: true }), recorder(calls, 'c', { quiesce: true })], log);
  t.same(life.names, ['a', 'b', 'c']);
  await life.start();
  await life.stop();
  t.same(calls, ['start a', 'start b', 'start c', 'quiesce c', 'quiesce b', 'stop c', 'stop b', 'stop a']);
  calls.length = 0;
  await life.stop();
  t.same(calls, [], 'a second stop has nothing left to stop');
});

t.test('a component that fails to start: those started are stopped, the rest never start, the error is thrown', async (t) => {
  const calls: string[] = [];
  const life = new Lifecycle([recorder(calls, 'a'), recorder(calls, 'b', { failStart: true }), recorder(calls, 'c')], log);
  await t.rejects(life.start(), /b cannot start/);
  t.same(calls, ['start a', 'start b', 'stop a']);
});

t.test('a component that fails to stop does not keep the others running', async (t) => {
  const calls: string[] = [];
  const life = new Lifecycle([recorder(calls, 'a'), recorder(calls, 'b', { failStop: true }), recorder(calls, 'c')], log);
  await life.start();
  await life.stop();
  t.same(calls.slice(3), ['stop c', 'stop b', 'stop a']);
});
