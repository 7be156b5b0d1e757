/** Test helpers for device identities: provisioning through the real `smartmaint devices` CLI, in process. */
import { runCliCaptured } from './cli.js';

export function devicesCli(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliCaptured(['devices', ...argv], stdin);
}

/** `devices add <id> --data-dir <dir> --allow ...`; returns the secret from the last line of stdout. */
export async function addDevice(dataDir: string, id: string, allow: string[] = [], clientIds: string[] = []): Promise<string> {
  const r = await devicesCli(['add', id, '--data-dir', dataDir, ...allow.flatMap((a) => ['--allow', a]), ...clientIds.flatMap((c) => ['--client-id', c])]);
  if (r.code !== 0) throw new Error(`devices add failed: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').pop()!;
}
