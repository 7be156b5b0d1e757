/** The syntax of one mqtt.anonymousAllow line, checked when the config is parsed (the ACL itself is in devices/). */
export type AnonymousAccess = 'read' | 'write' | 'readwrite' | 'deny';

export const ANONYMOUS_ENTRY = /^(?:(read|write|readwrite|deny)[ \t]+)?(\S+)$/;

/** Why an entry is unusable, or null. */
export function anonymousEntryProblem(entry: string): string | null {
  const m = ANONYMOUS_ENTRY.exec(entry.trim());
  if (!m) return 'must be "[read|write|readwrite|deny] <topic filter>"';
  const levels = m[2]!.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '# must be a whole, last level';
    if (l.includes('+') && l !== '+') return '+ must be a whole level';
  }
  return null;
}
