/**
 * One lifecycle for every long-running component: assign in the constructor, work in start(), release in stop().
 * A program lists its components once, in start order; they stop in the reverse order, so whatever a component
 * uses is started before it and still running while it stops.
 */
import type { Logger } from './logger.js';

export interface Component {
  /** For logs and errors: which component failed to start or stop. */
  readonly name: string;
  start(signal: AbortSignal): void | Promise<void>;
  stop(): void | Promise<void>;
  /**
   * Optional first step of a stop, run for every started component (in reverse order) before any stop(): stop
   * taking new work (connections, requests) and hand over what was accepted, while everything else still runs.
   */
  quiesce?(): void | Promise<void>;
}

export class Lifecycle {
  readonly #components: readonly Component[];
  readonly #log: Logger;
  readonly #started: Component[] = [];
  readonly #abort = new AbortController();

  constructor(components: readonly Component[], log: Logger) {
    this.#components = components;
    this.#log = log;
  }

  get names(): string[] {
    return this.#components.map((c) => c.name);
  }

  /** Starts each component in order; if one fails, those already started are stopped and the error is thrown. */
  async start(): Promise<void> {
    for (const component of this.#components) {
      try {
        await component.start(this.#abort.signal);
      } catch (err) {
        this.#log.error({ err, component: component.name }, 'component failed to start');
        await this.stop();
        throw err;
      }
      this.#started.push(component);
    }
  }

  /** Quiesces, then stops, every started component in reverse order. A failing step is logged; the rest go on. */
  async stop(): Promise<void> {
    this.#abort.abort();
    const started = this.#started.splice(0).reverse();
    for (const component of started) {
      if (!component.quiesce) continue;
      try {
        await component.quiesce();
      } catch (err) {
        this.#log.warn({ err, component: component.name }, 'component failed to quiesce');
      }
    }
    for (const component of started) {
      try {
        await component.stop();
      } catch (err) {
        this.#log.warn({ err, component: component.name }, 'component failed to stop');
      }
    }
  }
}
