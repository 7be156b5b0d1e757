/** What every route of one cloud instance shares. Built by server.ts from the injected dependencies. */
import type { Logger } from '../../shared/logger.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { AuthFailureRecorder } from '../auth/auth-failures.js';
import type { RateLimiter } from '../auth/rate-limit.js';
import type { CloudConfig } from '../config/config.js';
import type { CloudMetrics } from '../metrics/metrics.js';
import type { CloudStore } from '../store/store.js';

export interface CloudContext {
  config: CloudConfig;
  store: CloudStore;
  log: Logger;
  clock: () => number;
  metrics: CloudMetrics;
  auth: Authenticator;
  limiter: RateLimiter;
  authFailures: AuthFailureRecorder;
  version: string;
  startedAt: number;
}
