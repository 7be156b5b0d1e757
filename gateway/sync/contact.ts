/**
 * The last contact with the cloud of any kind — a batch or a heartbeat, whichever answered (or failed) last —
 * so the uplink is never called "synced" on the strength of an engine that merely has nothing to send.
 */
export type ContactResult = 'ok' | 'key-rejected' | 'failed';

export interface ContactRecord {
  at: number;
  via: 'batch' | 'heartbeat';
  result: ContactResult;
  /** The HTTP status or transport error code, e.g. `http-503`, `econnrefused`. */
  detail: string;
}

export interface ContactSnapshot {
  last: ContactRecord | null;
  /** Last time the cloud accepted a request (2xx, or a 4xx that is about the request, not the link or the key). */
  lastOkAt: number | null;
  /** First failure since the last good contact; null while the link is good. */
  failingSince: number | null;
}

export class CloudContact {
  #last: ContactRecord | null = null;
  #lastOkAt: number | null = null;
  #failingSince: number | null = null;

  record(contact: ContactRecord): void {
    this.#last = contact;
    if (contact.result === 'ok') {
      this.#lastOkAt = contact.at;
      this.#failingSince = null;
    } else {
      this.#failingSince ??= contact.at;
    }
  }

  snapshot(): ContactSnapshot {
    return { last: this.#last, lastOkAt: this.#lastOkAt, failingSince: this.#failingSince };
  }
}

/** What an HTTP answer says about the link: auth refusals are the key; 408, 429 and 5xx are a failing link. */
export function contactResultOf(status: number): ContactResult {
  if (status === 401 || status === 403) return 'key-rejected';
  if (status === 408 || status === 429 || status >= 500) return 'failed';
  return 'ok';
}
