/**
 * The allow list of anonymous MQTT clients (mqtt.anonymousAllow), in the manner of Mosquitto's ACL lines without
 * a user: `[read|write|readwrite|deny] <topic filter>` (no access word: readwrite). Publishing needs a write entry
 * matching the topic; subscribing needs a read entry covering the filter; a deny entry matching the topic (or
 * covering the filter) refuses whatever else says yes. Unset, anonymous clients are unrestricted (logged).
 */
import { ANONYMOUS_ENTRY, anonymousEntryProblem, type AnonymousAccess } from '../config/anonymous-entry.js';
import { filterCovers, filterMatches } from './acl.js';

export { anonymousEntryProblem, type AnonymousAccess };

export class AnonymousAcl {
  readonly #entries: Array<{ access: AnonymousAccess; filter: string[] }>;

  constructor(entries: readonly string[]) {
    this.#entries = entries.map((e) => {
      const m = ANONYMOUS_ENTRY.exec(e.trim());
      if (!m || anonymousEntryProblem(e) !== null) throw new Error(`anonymousAllow entry ${JSON.stringify(e)}: ${anonymousEntryProblem(e)}`);
      return { access: (m[1] ?? 'readwrite') as AnonymousAccess, filter: m[2]!.split('/') };
    });
  }

  mayPublish(topic: string): boolean {
    const levels = topic.split('/');
    let allowed = false;
    for (const e of this.#entries) {
      if (!filterMatches(e.filter, levels)) continue;
      if (e.access === 'deny') return false;
      if (e.access !== 'read') allowed = true;
    }
    return allowed;
  }

  maySubscribe(filter: string): boolean {
    const levels = filter.split('/');
    let allowed = false;
    for (const e of this.#entries) {
      if (!filterCovers(e.filter, levels)) continue;
      if (e.access === 'deny') return false;
      if (e.access !== 'write') allowed = true;
    }
    return allowed;
  }
}
