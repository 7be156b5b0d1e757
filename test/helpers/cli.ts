/** Runs the `smartmaint` CLI in process with captured stdout/stderr (and optional stdin), for tests. */
import { Readable, Writable } from 'node:stream';
import { runCli, type CliIo } from '../../deploy/cli/smartmaint.js';

export async function runCliCaptured(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { append(String(chunk)); cb(); } });
  const io: CliIo & { stdin?: NodeJS.ReadableStream } = {
    stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: {},
    ...(stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(stdin)]) }),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
