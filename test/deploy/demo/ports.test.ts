import { createServer, type Server } from 'node:net';
import t from 'tap';
import { choosePort } from '../../../deploy/demo/ports.js';

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

t.test('a free preferred port is used as is; a taken one is replaced and said so', async (t) => {
  const holder = await listen();
  t.teardown(() => holder.close());
  const taken = (holder.address() as { port: number }).port;
  const choice = await choosePort('MQTT', taken, '127.0.0.1');
  t.not(choice.port, taken);
  t.ok(choice.port > 0);
  t.equal(choice.note, `MQTT: port ${taken} is taken on 127.0.0.1 (another program holds it); using ${choice.port} instead`);

  const free = await choosePort('cloud HTTP', choice.port, '127.0.0.1');
  t.same(free, { port: choice.port, note: null }, 'the port just released is free again');
});
