/** `smartmaint simulate` publishes only where it is told: --broker, SMARTMAINT_BROKER or a gateway config file. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../../../../shared/errors.js';
import { brokerUrl, resolveBroker } from '../../../../gateway/tools/simulate/broker-target.js';
import { removeDir, tempDir } from '../../../helpers/gateway.js';

t.test('MQTT schemes are accepted, tcp/ssl spelled as mqtt/mqtts; anything else is refused', async (t) => {
  t.equal(brokerUrl('tcp://127.0.0.1:1883', 'x'), 'mqtt://127.0.0.1:1883');
  t.equal(brokerUrl('mqtt://gw.local:1884', 'x'), 'mqtt://gw.local:1884');
  t.equal(brokerUrl('ssl://gw.local:8883', 'x'), 'mqtts://gw.local:8883');
  t.equal(brokerUrl('ws://gw.local:8083/mqtt', 'x'), 'ws://gw.local:8083/mqtt');
  for (const bad of ['http://127.0.0.1:1883', 'https://x', 'file:///tmp/x', 'localhost:1883', 'mqtt://']) {
    t.throws(() => brokerUrl(bad, '--broker'), UsageError, bad);
  }
});

t.test('no silent default: without --broker, SMARTMAINT_BROKER or --config it is a usage error', async (t) => {
  t.throws(() => resolveBroker({ broker: undefined, configFile: undefined, env: {} }), { name: 'UsageError', message: /--broker mqtt:\/\/host:port/ });
  t.equal(resolveBroker({ broker: undefined, configFile: undefined, env: { SMARTMAINT_BROKER: 'tcp://h:1' } }), 'mqtt://h:1');
  t.equal(resolveBroker({ broker: 'mqtt://a:2', configFile: undefined, env: { SMARTMAINT_BROKER: 'tcp://h:1' } }), 'mqtt://a:2', 'the flag wins');
});

t.test('--config: the gateway\'s own MQTT listener', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({ mqtt: { port: 1999 } }));
  t.equal(resolveBroker({ broker: undefined, configFile: file, env: {} }), 'mqtt://127.0.0.1:1999', 'a wildcard bind is reached on loopback');
  writeFileSync(file, JSON.stringify({ mqtt: { host: '10.0.0.5', port: 1884 } }));
  t.equal(resolveBroker({ broker: undefined, configFile: undefined, env: { SMARTMAINT_CONFIG: file } }), 'mqtt://10.0.0.5:1884');
  writeFileSync(file, JSON.stringify({ mqtt: { port: 0 } }));
  t.throws(() => resolveBroker({ broker: undefined, configFile: file, env: {} }), { message: /mqtt\.port is 0/ });
});
