/** Test helpers for device identities: provisioning through the real `smartmaint devices` CLI, in process. */
import { Readable, Writable } from 'node:stream';
import { runCli, type CliIo } from '../../shared/cli.js';

export async function devicesCli(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { append(String(chunk)); cb(); } });
  const io: CliIo & { stdin?: NodeJS.ReadableStream } = {
    stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: {},
    ...(stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(stdin)]) }),
  };
  const code = await runCli(['devices', ...argv], io);
  return { code, stdout, stderr };
}

/** `devices add <id> --data-dir <dir> --allow ...`; returns the secret from the last line of stdout. */
export async function addDevice(dataDir: string, id: string, allow: string[] = []): Promise<string> {
  const r = await devicesCli(['add', id, '--data-dir', dataDir, ...allow.flatMap((a) => ['--allow', a])]);
  if (r.code !== 0) throw new Error(`devices add failed: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').pop()!;
}
