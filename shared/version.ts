/** Versions reported by health endpoints and heartbeats. */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(): string | undefined {
  // Works from both the sources (shared/) and the build (dist/shared/).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'smartmaint-edge') return candidate;
    }
    dir = dirname(dir);
  }
  return undefined;
}

const packageFile = findPackageJson();

/** The project's root directory (where package.json is). */
export const projectRoot: string = packageFile ? dirname(packageFile) : process.cwd();

export const productVersion: string = packageFile
  ? ((JSON.parse(readFileSync(packageFile, 'utf8')) as { version?: string }).version ?? '0.0.0')
  : '0.0.0';

export function dependencyVersion(name: string): string {
  try {
    // Some packages do not export ./package.json: find it beside the resolved entry point instead.
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      const candidate = join(dir, 'package.json');
      if (existsSync(candidate)) {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
      dir = dirname(dir);
    }
    return 'unknown';
  } catch {
    return 'unknown';
  }
}
