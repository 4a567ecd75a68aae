/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms
 * with labels. Written here rather than adding a dependency; it only has to be correct and cheap
 * on the hot path (one Map lookup per observation).
 */

type Labels = Record<string, string>;

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((name) => labels[name] ?? '').join('\u0000');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderLabels(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key.split('\u0000'))} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }
  /** Replaces every series (an info-style gauge such as the policy version). */
  reset(): void {
    this.values.clear();
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [key, value] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, key.split('\u0000'))} ${value}`);
    return lines.join('\n');
  }
}

/** Latency buckets in seconds: 0.5 ms to 10 s, enough resolution around the 5 ms added-latency target. */
export const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram implements Metric {
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
    readonly buckets: readonly number[] = latencyBuckets,
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, entry] of this.series) {
      const values = key.split('\u0000');
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, values, `le="${bound}"`)} ${entry.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, values, 'le="+Inf"')} ${entry.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${entry.sum}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${entry.count}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return `${this.metrics.map((metric) => metric.render()).join('\n')}\n`;
  }
}

/** The gateway's metrics. Labels carry zones, outcomes and mechanisms — never enterprise data values. */
export function createGatewayMetrics() {
  const registry = new Registry();
  return {
    registry,
    decisions: registry.register(
      new Counter('xborder_decisions_total', 'Transfer decisions by outcome, zone, mechanism and enforcement', ['decision', 'zone', 'mechanism', 'enforced']),
    ),
    refusals: registry.register(new Counter('xborder_refusals_total', 'Requests refused, by error code; a refusal the audit log records as a deny (an oversized or uninspectable body) counts in xborder_decisions_total too', ['code'])),
    requestSeconds: registry.register(new Histogram('xborder_request_duration_seconds', 'Request latency through the gateway', ['route'])),
    scanSeconds: registry.register(new Histogram('xborder_scan_duration_seconds', 'Time to decode and scan a transfer body')),
    auditCommitSeconds: registry.register(new Histogram('xborder_audit_commit_seconds', 'Time until a decision record is committed')),
    bytesInspected: registry.register(new Counter('xborder_bytes_inspected_total', 'Body bytes read and inspected')),
    upstreamErrors: registry.register(new Counter('xborder_upstream_errors_total', 'Upstream failures after a decision', ['destination'])),
    policyVersion: registry.register(new Gauge('xborder_policy_info', 'The active policy version (value 1)', ['version'])),
    policyReloads: registry.register(new Counter('xborder_policy_reloads_total', 'Policy reload attempts', ['result'])),
    thresholdWarnings: registry.register(
      new Counter('xborder_threshold_warnings_total', 'Transfers that took an enterprise past 90% of a statutory threshold (CLARIFICATIONS 6)', ['zone', 'class']),
    ),
  };
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
