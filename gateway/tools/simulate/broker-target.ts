/**
 * Which MQTT broker `smartmaint simulate` publishes to. There is no silent default: a default of
 * 127.0.0.1:1883 is, on many machines, some other broker. The address comes from --broker (or
 * SMARTMAINT_BROKER), or from the MQTT listener of a gateway config file (--config / SMARTMAINT_CONFIG).
 */
import { readConfigFile, validateConfig } from '../../../shared/config-layers.js';
import { UsageError } from '../../../shared/errors.js';
import { gatewayConfigSchema } from '../../config/config.js';

/** Schemes mqtt.js speaks; tcp/ssl/tls are the mqtt-benchmark spellings of mqtt/mqtts. */
const SCHEMES: Record<string, string> = { 'mqtt:': 'mqtt:', 'tcp:': 'mqtt:', 'mqtts:': 'mqtts:', 'ssl:': 'mqtts:', 'tls:': 'mqtts:', 'ws:': 'ws:', 'wss:': 'wss:' };

export function brokerUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from}: '${raw}' is not a URL; give mqtt://host:port`);
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    throw new UsageError(`${from}: ${url.protocol}// is not an MQTT scheme; give mqtt://host:port (also mqtts, tcp, ws, wss)`);
  }
  if (url.hostname === '') throw new UsageError(`${from}: '${raw}' names no host; give mqtt://host:port`);
  // Credentials stay: a device signs in with the user name and secret given in the URL.
  const auth = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
  return `${scheme}//${auth}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** The broker URL, or a UsageError saying how to name one. */
export function resolveBroker(args: { broker: string | undefined; configFile: string | undefined; env: Readonly<Record<string, string | undefined>> }): string {
  if (args.broker !== undefined) return brokerUrl(args.broker, '--broker');
  if (args.env.SMARTMAINT_BROKER) return brokerUrl(args.env.SMARTMAINT_BROKER, 'SMARTMAINT_BROKER');
  const file = args.configFile ?? args.env.SMARTMAINT_CONFIG;
  if (file) {
    const { mqtt } = validateConfig(gatewayConfigSchema, readConfigFile(file), 'gateway');
    if (mqtt.port === 0) throw new UsageError(`${file}: mqtt.port is 0 (a free port chosen at start); give --broker mqtt://host:port`);
    const wildcard = mqtt.host === '0.0.0.0' || mqtt.host === '::';
    const host = wildcard ? '127.0.0.1' : mqtt.host.includes(':') ? `[${mqtt.host}]` : mqtt.host;
    return `mqtt://${host}:${mqtt.port}`;
  }
  throw new UsageError('which broker? give --broker mqtt://host:port (the gateway\'s MQTT address) or --config <gateway config file>');
}
