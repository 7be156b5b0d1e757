/** The gateway's configuration as an operator writes it: the optional listeners and the negated scoring flag. */
import t from 'tap';
import { resolveConfig, validateConfig } from '../../../shared/config-layers.js';
import { ConfigError } from '../../../shared/errors.js';
import { gatewayConfigSchema, gatewayFlags } from '../../../gateway/config/config.js';

t.test('TLS and WebSocket listeners are off unless configured', async (t) => {
  const config = validateConfig(gatewayConfigSchema, {}, 'gateway');
  t.equal(config.mqtt.tls, undefined, 'no TLS listener by default');
  t.equal(config.mqtt.ws, undefined, 'no WebSocket listener by default');
  t.equal(validateConfig(gatewayConfigSchema, { mqtt: { ws: {} } }, 'gateway').mqtt.ws?.port, 8083, 'ws: {} turns it on at its port');
});

t.test('a TLS section without its certificate names what is missing', async (t) => {
  try {
    validateConfig(gatewayConfigSchema, { mqtt: { tls: { port: 8883 } } }, 'gateway');
    t.fail('accepted');
  } catch (err) {
    t.type(err, ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    t.match(issues, /mqtt\.tls\.certFile: required to turn on the MQTT TLS listener/);
    t.match(issues, /mqtt\.tls\.keyFile: required to turn on the MQTT TLS listener/);
  }
});

t.test('--no-scoring turns scoring off, as SMARTMAINT_SCORING=false does', async (t) => {
  const run = (argv: string[], env: Record<string, string> = {}) =>
    resolveConfig({ schema: gatewayConfigSchema, what: 'gateway', argv, env, flags: gatewayFlags }).config.scoring.enabled;
  t.equal(run([]), true);
  t.equal(run(['--no-scoring']), false);
  t.equal(run([], { SMARTMAINT_SCORING: 'false' }), false);
});
