/**
 * Device credentials. A generated secret is 256 random bits: guessing is hopeless, so SHA-256 at rest is
 * enough and keeps verification at a microsecond (10,000 HTTP requests/s). A human-chosen password gets
 * scrypt (../scrypt-password.ts), whose cost is paid once per credential: verified credentials are cached by digest.
 */
import { createHash, randomBytes } from 'node:crypto';

export type SecretScheme = 'sha256' | 'scrypt';

/** Generated device secrets carry a prefix so they are recognisable in a leaked config (and by secret scanners). */
const SECRET_PREFIX = 'smd_';

export function generateSecret(random: (n: number) => Buffer = randomBytes): string {
  return `${SECRET_PREFIX}${random(32).toString('base64url')}`;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
