/** A Demo (cloud + gateway + C-MAPSS replay) on ephemeral ports in a temp state dir, for the browser tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Demo, DEMO_DEFAULTS, type DemoOptions } from '../../shared/demo/demo.js';

export async function startDemo(overrides: Partial<DemoOptions> = {}): Promise<{ demo: Demo; cleanup: () => Promise<void> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'smartmaint-demo-'));
  const demo = new Demo({
    ...DEMO_DEFAULTS,
    stateDir,
    ports: { cloud: 0, http: 0, mqtt: 0 },
    rate: 40,
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
