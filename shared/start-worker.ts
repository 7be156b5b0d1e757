/**
 * Starts the worker module `<module>.js` beside `besideUrl` (the caller's import.meta.url) from dist/, or its
 * `.ts` from the sources (tests, benchmarks under tsx): a worker does not inherit tsx's loader, so it registers it
 * before importing the module. Every worker thread of both programs starts here.
 */
import { Worker } from 'node:worker_threads';

export function startWorker(besideUrl: string, module: string, workerData?: unknown): Worker {
  const fromSource = besideUrl.endsWith('.ts');
  const entry = new URL(`./${module}${fromSource ? '.ts' : '.js'}`, besideUrl);
  const options = workerData === undefined ? {} : { workerData };
  if (!fromSource) return new Worker(entry, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`, { ...options, eval: true });
}
