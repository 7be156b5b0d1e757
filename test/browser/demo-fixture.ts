/** A Demo (cloud + gateway + C-MAPSS replay) on ephemeral ports in a temp state dir, for the browser tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Test } from 'tap';
import { openBrowser, type BrowserSession } from './browser.js';
import { Demo, DEMO_DEFAULTS, type DemoOptions } from '../../deploy/demo/demo.js';

export async function startDemo(overrides: Partial<DemoOptions> = {}): Promise<{ demo: Demo; cleanup: () => Promise<void> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'smartmaint-demo-'));
  const demo = new Demo({
    ...DEMO_DEFAULTS,
    stateDir,
    ports: { cloud: 0, http: 0, mqtt: 0 },
    // The demo's own rate: alert hold times are in reading time, so a faster replay would shorten what they see.
    rate: DEMO_DEFAULTS.rate,
    heartbeatSchedule: '* * * * * *',
    ...overrides,
  }, pino({ level: process.env.SMARTMAINT_TEST_LOG ?? 'silent' }));
  await demo.start();
  return {
    demo,
    async cleanup() {
      await demo.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A demo and a Chromium session on it, both stopped when `t` ends. */
export async function demoInBrowser(t: Test, overrides: Partial<DemoOptions> = {}): Promise<{ demo: Demo } & BrowserSession> {
  const { demo, cleanup } = await startDemo(overrides);
  const browser = await openBrowser();
  t.teardown(async () => {
    await browser.close();
    await cleanup();
  });
  return { ...browser, demo };
}
