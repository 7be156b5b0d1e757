/**
 * A clean install prints no engine warnings: every locked package accepts the Node versions package.json
 * promises (its minimum, and the current LTS lines). A dependency that moves to a newer Node is pinned back in
 * `overrides` (cookie under light-my-request) or the promise is changed — on purpose, here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../shared/version.js';

const require = createRequire(import.meta.url);
// semver comes with npm's own tooling in the tree (tap); only this test uses it.
const semver = require('semver') as { minVersion(range: string): { version: string } | null; satisfies(v: string, range: string): boolean };

t.test('every locked package runs on the Node versions we promise', async (t) => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }>;
  };
  const promised = [semver.minVersion(pkg.engines.node)!.version, '22.12.0', '24.0.0'];
  const refused: string[] = [];
  for (const [path, p] of Object.entries(lock.packages)) {
    const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
    if (!range || path === '') continue;
    for (const v of promised) if (!semver.satisfies(v, range)) refused.push(`${path.replace(/^node_modules\//, '')} needs ${range}, not ${v}`);
  }
  t.same(refused, [], `engines ${pkg.engines.node}: no EBADENGINE`);
});
