/**
 * The README's quick start, exactly as written, on a fresh copy of the working tree (what `git clone` would
 * give plus uncommitted work: `git ls-files --cached --others --exclude-standard`, so no node_modules, dist
 * or state): every command of the Quick start code block runs in order, the last one (`npm start`) stays up,
 * and both pages it prints must answer within 60 s. Opt-in (npm ci takes minutes): SMARTMAINT_QUICKSTART=1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { request } from 'undici';
import { projectRoot } from '../../shared/version.js';

const DEFAULT_STEPS = ['npm ci', 'npm start'];

/** The commands of the first shell code block under a "Quick start" heading (comments and prompts dropped). */
export function quickStartSteps(readme: string): string[] | null {
  const heading = /^#{1,6}\s*quick ?start\b.*$/im.exec(readme);
  if (!heading) return null;
  const rest = readme.slice(heading.index + heading[0].length);
  const block = /```(?:sh|bash|shell|console)?\n([\s\S]*?)```/.exec(rest);
  if (!block) return null;
  return block[1]!.split('\n').map((l) => l.replace(/^\$\s+/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

if (process.env.SMARTMAINT_QUICKSTART !== '1') {
  t.plan(0, 'quick start test is opt-in: set SMARTMAINT_QUICKSTART=1 (runs npm ci in a fresh copy, several minutes)');
} else {
  t.setTimeout(40 * 60_000);
  t.test('README quick start: fresh copy, commands as written, both pages answer within 60 s', async (t) => {
    const readmePath = join(projectRoot, 'README.md');
    const fromReadme = existsSync(readmePath) ? quickStartSteps(readFileSync(readmePath, 'utf8')) : null;
    const steps = fromReadme ?? DEFAULT_STEPS;
    t.comment(`quick start steps (${fromReadme ? 'from README.md' : 'README.md has none yet; default'}): ${steps.join(' && ')}`);
    t.equal(steps[steps.length - 1], 'npm start', 'the quick start ends with npm start');

    const dir = mkdtempSync(join(tmpdir(), 'smartmaint-quickstart-'));
    const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' });
    t.equal(files.status, 0, 'git ls-files');
    for (const f of files.stdout.split('\0').filter(Boolean)) {
      const src = join(projectRoot, f);
      if (!existsSync(src)) continue; // deleted in the working tree, not yet in the index
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(src, join(dir, f));
    }
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
    delete env.npm_config_prefix;
    // As a user runs it from a shell: no settings inherited from the npm that runs this test, and nothing but the
    // project's own files tells onnxruntime-node's installer to stay offline.
    for (const k of Object.keys(env)) if (k.startsWith('npm_config_') || k.startsWith('npm_package_') || k.startsWith('npm_lifecycle_')) delete env[k];
    delete env.ONNXRUNTIME_NODE_INSTALL;

    for (const step of steps.slice(0, -1)) {
      const stepStarted = Date.now();
      // npm ci compiles better-sqlite3 from source where its prebuilt binary cannot be downloaded: minutes on 2 cores.
      const r = spawnSync('bash', ['-c', step], { cwd: dir, env, encoding: 'utf8', timeout: 30 * 60_000 });
      t.comment(`\`${step}\` took ${Math.round((Date.now() - stepStarted) / 1000)} s`);
      t.equal(r.status, 0, `\`${step}\` succeeds`, { stderr: r.stderr?.slice(-4000) });
      if (r.status !== 0) return;
      t.notMatch(`${r.stdout}${r.stderr}`, /npm warn/i, `\`${step}\` prints no npm warnings`);
    }

    const started = Date.now();
    const child = spawn('bash', ['-c', `exec ${steps[steps.length - 1]}`], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.teardown(async () => {
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* already gone */ }
      await Promise.race([exited, sleep(20_000)]);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    });

    const answered = { status: false, fleet: false };
    while (Date.now() - started < 60_000 && !(answered.status && answered.fleet)) {
      const status = /Gateway status page\s+(http:\/\/\S+)/.exec(out)?.[1];
      const fleet = /Cloud fleet view\s+(http:\/\/[^\s#]+)/.exec(out)?.[1];
      for (const [name, url] of [['status', status], ['fleet', fleet]] as const) {
        if (!url || answered[name]) continue;
        const res = await request(url).catch(() => null);
        if (res) {
          const body = await res.body.text();
          answered[name] = res.statusCode === 200 && /<html/.test(body);
        }
      }
      await sleep(500);
    }
    t.ok(answered.status, 'gateway status page answers within 60 s', { output: out.slice(-3000) });
    t.ok(answered.fleet, 'fleet view answers within 60 s');

    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    t.not(code, 'timeout', 'Ctrl-C stops the demo');
    t.match(out, /stopped\./, 'and it says so');
  });
}
