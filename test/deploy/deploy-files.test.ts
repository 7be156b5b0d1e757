/**
 * What can be checked of deploy/ without systemd running or a Docker engine: the unit files pass
 * `systemd-analyze verify` (skipped when it is absent), the compose gateway config validates against the
 * gateway schema, and every path the Dockerfiles copy exists in the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gatewayConfigSchema } from '../../gateway/config/config.js';
import { readConfigFile, validateConfig } from '../../shared/config-layers.js';
import { projectRoot } from '../../shared/version.js';

const deploy = join(projectRoot, 'deploy');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

t.test('systemd units verify', { skip: haveAnalyze ? false : 'systemd-analyze is not installed' }, async (t) => {
  const units = readdirSync(join(deploy, 'systemd')).filter((f) => f.endsWith('.service'));
  t.same(units.sort(), ['smartmaint-cloud.service', 'smartmaint-gateway.service']);
  for (const unit of units) {
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(deploy, 'systemd', unit)], { encoding: 'utf8' });
    t.equal(r.status, 0, `${unit}: exit status`);
    // verify exits 0 on settings it ignores; any line about our file is a mistake in it.
    t.same(r.stderr.split('\n').filter((l) => l.includes(unit)), [], `${unit}: no complaints`);
    const text = readFileSync(join(deploy, 'systemd', unit), 'utf8');
    t.match(text, /^User=smartmaint$/m, 'dedicated user');
    t.match(text, /^StateDirectory=smartmaint\//m, 'state directory');
    t.match(text, /^Restart=on-failure$/m, 'restart policy');
  }
});

t.test('compose gateway config validates', async (t) => {
  const raw = readConfigFile(join(deploy, 'docker', 'gateway.compose.jsonc'));
  const config = validateConfig(gatewayConfigSchema, raw, 'gateway');
  t.equal(config.http.host, '0.0.0.0');
  t.match(config.http.password, /^scrypt\$/, 'the password is stored hashed');
  t.equal(config.mqtt.allowAnonymous, false, 'no anonymous MQTT in the shipped example');
});

t.test('the compose example is secure by default: loopback-only ports, provisioned devices, generated password', async (t) => {
  const compose = readFileSync(join(deploy, 'docker', 'compose.yaml'), 'utf8');
  const published = [...compose.matchAll(/ports: \[([^\]]*)\]/g)].flatMap((m) => m[1]!.split(',').map((p) => p.trim().replace(/"/g, '')));
  t.ok(published.length >= 3, published.join(' '));
  for (const p of published) t.match(p, /^127\.0\.0\.1:/, `${p} is published on loopback only`);
  t.notMatch(compose, /allow-anonymous/);
  t.match(compose, /devices add simulator/, 'the simulator is a registered device');
  t.match(compose, /status-password/, 'the technician password is generated and stored hashed');
  t.match(compose, /mqtt:\/\/simulator:\$\$\(cat \/conf\/simulator\.key\)@gateway:1883/, 'the simulator signs in');
});

t.test('Dockerfiles copy paths that exist', async (t) => {
  for (const file of ['gateway.Dockerfile', 'cloud.Dockerfile']) {
    const text = readFileSync(join(deploy, 'docker', file), 'utf8');
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    t.ok(sources.length > 3, `${file} copies sources`);
    for (const s of sources) t.ok(existsSync(join(projectRoot, s)), `${file}: ${s} exists`);
  }
  const compose = readFileSync(join(deploy, 'docker', 'compose.yaml'), 'utf8');
  for (const service of ['postgres:', 'cloud:', 'gateway:', 'simulator:']) t.match(compose, new RegExp(`^  ${service}`, 'm'), service);
});
