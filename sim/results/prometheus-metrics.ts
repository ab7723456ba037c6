import { Counter, Gauge, Registry } from 'prom-client';
import type { StatusCounts } from '../stats/fleet-counters.js';
import type { JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';
import { finalSnapshot, type LatencyQuantiles, type MetricsSnapshot } from './metrics-snapshot.js';

type Labels = Record<string, string>;
type Sample = [Labels, number];

interface MetricDefinition {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames?: string[];
  /** Only measured when the run is over: absent from the live endpoint (an unlabelled 0 would read as a value). */
  atEnd?: true;
  /** The metric's samples in a snapshot; none while the run has not measured it. */
  samples(snapshot: MetricsSnapshot): Sample[];
}

/**
 * The fleet in the Prometheus text format: the metrics.prom of a run folder, and what `run --metrics-port` serves.
 * Names follow Prometheus conventions (base units, `_total` for counters); every series carries the run's scenario
 * and seed, so scrapes of several runs stay apart.
 */
const METRICS: MetricDefinition[] = [
  { name: 'certfleet_simulated_time_seconds', help: 'True (simulated) time reached, Unix seconds', type: 'gauge', samples: (s) => [[{}, s.t / 1000]] },
  { name: 'certfleet_run_progress_ratio', help: 'Share of the scenario timeline done', type: 'gauge', samples: (s) => [[{}, s.fraction]] },
  perCohort('certfleet_devices', 'Devices in the fleet', (c) => c.devices),
  perCohort('certfleet_devices_connected', 'Devices connected', (c) => c.connected),
  perCohort('certfleet_devices_failing', 'Devices trying to connect and failing', (c) => c.failing),
  perCohort('certfleet_devices_offline', 'Devices in a planned outage', (c) => c.offline),
  { name: 'certfleet_renewal_backlog', help: 'Devices past their renewal point and not yet renewed', type: 'gauge', samples: (s) => [[{}, s.renewalBacklog]] },
  {
    name: 'certfleet_rotations_total',
    help: 'Certificate rotations by outcome',
    type: 'counter',
    labelNames: ['outcome'],
    samples: (s) => [
      [{ outcome: 'succeeded' }, s.rotations.succeeded],
      [{ outcome: 'failed' }, s.rotations.failed],
    ],
  },
  {
    name: 'certfleet_failures_total',
    help: 'Failed connects by who judged and the precise cause',
    type: 'counter',
    labelNames: ['judge', 'cause'],
    samples: (s) => entries(s.failures).map(([key, n]) => [splitJudgeCause(key), n]),
  },
  { name: 'certfleet_connect_attempts_total', help: 'Connect attempts by the devices', type: 'counter', samples: (s) => [[{}, s.connects.attempted]] },
  {
    name: 'certfleet_connects_total',
    help: 'Connect attempts by outcome and who judged: they add up to certfleet_connect_attempts_total',
    type: 'counter',
    labelNames: ['outcome'],
    samples: (s) => [
      [{ outcome: 'succeeded' }, s.connects.succeeded],
      [{ outcome: 'refused_by_broker' }, s.connects.refusedByBroker],
      [{ outcome: 'rejected_by_device' }, s.connects.rejectedByDevice],
      [{ outcome: 'transport_failure' }, s.connects.transportFailures],
    ],
  },
  {
    name: 'certfleet_broker_certificates_issued_total',
    help: 'Certificates the CA issued for CSRs',
    type: 'counter',
    samples: (s) => [[{}, s.certificatesIssued]],
  },
  {
    name: 'certfleet_broker_refusals_total',
    help: 'Connects the broker refused, by cause',
    type: 'counter',
    labelNames: ['cause'],
    samples: (s) => entries(s.brokerRefusals).map(([cause, n]) => [{ cause }, n]),
  },
  quantiles('certfleet_rotation_latency_ms', 'Rotation latency in wall milliseconds (HDR histogram), at the end of the run', (e) => e.rotationLatencyMs),
  quantiles('certfleet_connect_latency_ms', 'Connect latency in wall milliseconds (HDR histogram), at the end of the run', (e) => e.connectLatencyMs),
  {
    name: 'certfleet_audit_findings',
    help: 'Non-compliant resources per audit check at the last availability sample, at the end of the run',
    type: 'gauge',
    labelNames: ['check'],
    atEnd: true,
    samples: (s) => entries(s.end?.audits ?? {}).map(([check, n]) => [{ check }, n]),
  },
  {
    name: 'certfleet_run_complete',
    help: '1 when the run reached the end of its timeline, 0 when it stopped early',
    type: 'gauge',
    atEnd: true,
    samples: (s) => (s.end ? [[{}, s.end.complete ? 1 : 0]] : []),
  },
  {
    name: 'certfleet_thresholds_failed',
    help: 'Thresholds that failed, at the end of the run',
    type: 'gauge',
    atEnd: true,
    samples: (s) => (s.end ? [[{}, s.end.thresholdsFailed]] : []),
  },
];

export class FleetMetrics {
  /** A private registry: two runs in one process (tests, repro) never share series, and the global one stays free. */
  readonly #registry = new Registry();
  readonly #defined = new Set<MetricDefinition>();
  #snapshot: MetricsSnapshot | undefined;

  constructor(run: { scenario: string; seed: number }) {
    this.#registry.setDefaultLabels({ scenario: run.scenario, seed: String(run.seed) });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Metrics appear with the first snapshot that has them: until then a scrape shows nothing rather than zeros. */
  observe(snapshot: MetricsSnapshot): void {
    this.#snapshot = snapshot;
    for (const definition of METRICS) {
      if (this.#defined.has(definition) || (definition.atEnd && !snapshot.end)) continue;
      this.#define(definition);
      this.#defined.add(definition);
    }
  }

  /** The text exposition format (version 0.0.4) of the last snapshot. */
  text(): Promise<string> {
    return this.#registry.metrics();
  }

  #define(definition: MetricDefinition): void {
    const read = () => (this.#snapshot ? definition.samples(this.#snapshot) : []);
    const config = { name: definition.name, help: definition.help, labelNames: definition.labelNames ?? [], registers: [this.#registry] };
    // Values are read from the snapshot at scrape time; counters are reset and set to the run's running totals.
    if (definition.type === 'gauge') {
      new Gauge({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of read()) this.set(labels, value);
        },
      });
    } else {
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of read()) this.inc(labels, value);
        },
      });
    }
  }
}

/** metrics.prom: the finished run's metrics, from its summary and the device status at the last sample. */
export function renderRunMetrics(summary: JudgedRunSummary, finalStatus: readonly StatusCounts[] | undefined): Promise<string> {
  const metrics = new FleetMetrics({ scenario: summary.scenario, seed: summary.seed });
  metrics.observe(finalSnapshot(summary, finalStatus));
  return metrics.text();
}

function perCohort(name: string, help: string, value: (cohort: MetricsSnapshot['cohorts'][number]) => number): MetricDefinition {
  return { name, help, type: 'gauge', labelNames: ['cohort'], samples: (s) => s.cohorts.map((c) => [{ cohort: c.name }, value(c)]) };
}

function quantiles(name: string, help: string, pick: (end: NonNullable<MetricsSnapshot['end']>) => LatencyQuantiles): MetricDefinition {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: ['quantile'],
    atEnd: true,
    samples: (s) => {
      const latency = s.end ? pick(s.end) : undefined;
      if (!latency || latency.count === 0) return [];
      return [
        [{ quantile: '0.5' }, latency.p50],
        [{ quantile: '0.95' }, latency.p95],
        [{ quantile: '0.99' }, latency.p99],
      ];
    },
  };
}

function entries(record: Partial<Record<string, number>>): [string, number][] {
  return Object.entries(record).filter((entry): entry is [string, number] => entry[1] !== undefined);
}

function splitJudgeCause(key: string): Labels {
  const at = key.indexOf(':');
  return { judge: key.slice(0, at), cause: key.slice(at + 1) };
}
