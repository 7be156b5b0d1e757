/** Metrics of device authentication and access control, on the gateway's registry. */
import { Counter, type Registry } from 'prom-client';

export class DeviceMetrics {
  readonly authFailures: Counter<'transport' | 'reason'>;
  readonly aclDenied: Counter<'transport' | 'action'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.authFailures = new Counter({ name: 'smartmaint_device_auth_failures_total', help: 'Refused device credentials, by transport (mqtt, http) and reason.', labelNames: ['transport', 'reason'], registers });
    this.aclDenied = new Counter({ name: 'smartmaint_acl_denied_total', help: 'Publishes, subscriptions and HTTP writes refused by a device ACL.', labelNames: ['transport', 'action'], registers });
  }
}
