/**
 * Data directories and database files readable by the service's own user only: directories this creates are
 * 0700, database files (and their -wal / -shm companions) 0600, whatever the umask. An existing directory is
 * left as it is (it may be a shared parent chosen by the operator); the files are ours and are always tightened.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** mkdir -p with mode 0700 for every directory it creates. */
export function makePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir applies the umask; a umask that removes owner bits is not ours to honour here.
  if (first !== undefined) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates the file if needed and makes it and its SQLite companions 0600. Call before SQLite opens it. */
export function makePrivateDbFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
}
