/**
 * `npm start` stops when npm itself is signalled (kill -INT <npm pid>, as a process supervisor or a terminal
 * multiplexer does): npm forwards the signal to its child, so the child must be the demo, not a shell that
 * holds the signal until the demo exits on its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../../shared/version.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

function processesOf(stateDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `--state-dir ${stateDir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

t.test('the start script execs node, with no shell in between', async (t) => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.start, /^exec node /);
});

t.test('SIGINT to npm stops the demo and npm exits', async (t) => {
  const stateDir = tempDir('smartmaint-npm-start-');
  t.teardown(() => removeDir(stateDir));
  const npm = spawn('npm', ['start', '--', '--state-dir', stateDir, '--cloud-port', '0', '--http-port', '0', '--mqtt-port', '0', '--rate', '0'],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<string>((resolve) => npm.once('exit', (code, signal) => resolve(`${code}/${signal}`)));
  t.teardown(() => { for (const pid of processesOf(stateDir)) process.kill(Number(pid), 'SIGKILL'); });
  const deadline = Date.now() + 60_000;
  while (!out.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.match(out, /Press Ctrl-C to stop/, 'the demo is up');
  process.kill(npm.pid!, 'SIGINT');
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref());
  const result = await Promise.race([exited, timeout]);
  t.not(result, 'still running', `npm exits (${result})`);
  t.match(out, /stopped\./, 'the demo stopped gracefully');
  t.same(processesOf(stateDir), [], 'nothing of the demo is left running');
});
