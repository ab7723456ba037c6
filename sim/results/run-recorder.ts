import { join } from 'node:path';
import { build, decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { FleetEvent } from '../events/fleet-event.js';
import type { FleetPlan } from '../plan/fleet-plan.js';
import { addCohortCounters, emptyCohortCounters, type CohortCounters } from '../stats/fleet-counters.js';
import type { EncodedHistograms } from '../stats/encoded-histograms.js';
import { ActivitySeries } from './activity-series.js';
import { writeFileAtomically } from './atomic-file.js';
import { EventLog } from './event-log.js';
import { FailureTally } from './failure-tally.js';
import { FaultTally } from './fault-tally.js';
import { LiveCounters, type LiveCounts } from './live-counts.js';
import { renderRunMetrics } from './prometheus-metrics.js';
import { renderTimelineCsv } from './timeline-csv.js';
import { judgeSummary, type JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';
import type { Threshold } from '../thresholds/define-threshold.js';
import { buildSummary, type SummaryInput } from './run-summary.js';
import { renderSummaryMarkdown } from './summary-markdown.js';
import { renderThresholdsJunit } from './thresholds-junit.js';
import { OutputWriteError } from './write-failure.js';

/**
 * Receives everything a run produces (events from the broker and the workers, worker statistics) and writes the
 * run folder: the event stream as it arrives, the summary at the end or on interruption. A file that cannot be
 * written (a full disk) never crashes the run: the first failure is reported through `onFailure` (the run stops) and
 * kept in `failure`; the files written stay valid (whole JSON files, NDJSON cut at a line).
 */
export class RunRecorder {
  readonly dir: string;
  readonly tally: FailureTally;
  readonly activity: ActivitySeries;
  readonly faults: FaultTally;
  readonly #live = new LiveCounters();
  readonly #log: EventLog;
  readonly #cohortOf: Map<string, string>;
  readonly #shardStats = new Map<number, { counters: CohortCounters[]; histograms: EncodedHistograms }>();
  readonly #cohortCount: number;
  readonly #onFailure: (error: OutputWriteError) => void;
  #failure: OutputWriteError | undefined;

  constructor(dir: string, plan: FleetPlan, onFailure: (error: OutputWriteError) => void = () => undefined) {
    this.dir = dir;
    this.#onFailure = onFailure;
    const names = plan.scenario.fleet.cohorts.map((c) => c.name);
    this.#cohortCount = names.length;
    // Broker records name the client id, devices their own id; both lead to the cohort.
    this.#cohortOf = new Map(plan.devices.flatMap((d) => [[d.clientId, names[d.cohort] ?? 'unknown'] as const, [d.id, names[d.cohort] ?? 'unknown'] as const]));
    const { start, sample } = plan.scenario.timeline;
    this.activity = new ActivitySeries(start, sample);
    this.tally = new FailureTally(
      (device) => this.#cohortOf.get(device) ?? 'unknown',
      (judgeCause, t) => {
        this.activity.addFailure(judgeCause, t);
        this.#live.addFailure(judgeCause);
      },
    );
    this.faults = new FaultTally(plan.faults ?? [], plan.devices);
    this.#log = new EventLog(join(dir, 'events.ndjson'), (error) => this.#fail(error));
  }

  /** The first file of the run folder that could not be written, if any. */
  get failure(): OutputWriteError | undefined {
    return this.#failure;
  }

  onEvent = (event: FleetEvent): void => {
    const cohort = 'device' in event ? this.#cohortOf.get(event.device) : undefined;
    this.#log.write(event, cohort);
    this.tally.add(event);
    this.activity.add(event);
    this.#live.add(event);
    this.faults.add(event);
  };

  /** The run has reached true time t: every event before it is in, and goes to events.ndjson in time order. */
  reached(t: number): void {
    this.#log.flushUntil(t);
  }

  /** Totals so far, for the live view and the metrics endpoint: cheap enough to read at every epoch. */
  live(): LiveCounts {
    return this.#live.counts(this.counters().reduce((a, c) => a + c.connectAttempts, 0));
  }

  onEvents = (events: FleetEvent[]): void => {
    for (const event of events) this.onEvent(event);
  };

  onStats = (message: { shard: number; counters: CohortCounters[]; histograms: EncodedHistograms }): void => {
    this.#shardStats.set(message.shard, { counters: message.counters, histograms: message.histograms });
  };

  counters(): CohortCounters[] {
    const merged = Array.from({ length: this.#cohortCount }, () => emptyCohortCounters());
    for (const { counters } of this.#shardStats.values()) {
      counters.forEach((c, i) => {
        const into = merged[i];
        if (into) addCohortCounters(into, c);
      });
    }
    return merged;
  }

  histograms(): { rotation: Histogram; connect: Histogram } {
    const rotation = build();
    const connect = build();
    for (const { histograms } of this.#shardStats.values()) {
      rotation.add(decodeFromCompressedBase64(histograms.rotationLatencyMs));
      connect.add(decodeFromCompressedBase64(histograms.connectLatencyMs));
    }
    return { rotation, connect };
  }

  /**
   * Writes summary.json and summary.md with the thresholds evaluated on the final numbers, junit.xml with one test
   * per threshold, timeline.csv (one row per availability sample) and metrics.prom (Prometheus text), and closes
   * the event stream. Each file is written whole or not at all; one that cannot be written is recorded in `failure`
   * and the others are still tried (summary.json first).
   */
  async finish(input: Omit<SummaryInput, 'counters' | 'histograms' | 'tally' | 'activity' | 'faults'>, thresholds: readonly Threshold[]): Promise<JudgedRunSummary> {
    const activity = this.activity.samples(input.reached);
    const faults = this.faults.summaries(input.availability, input.devices);
    const measured = buildSummary({ ...input, counters: this.counters(), histograms: this.histograms(), tally: this.tally, activity, faults });
    const summary = judgeSummary(measured, thresholds);
    await this.#write('summary.json', () => `${JSON.stringify(summary, null, 2)}\n`);
    await this.#write('summary.md', () => renderSummaryMarkdown(summary));
    await this.#write('junit.xml', () => renderThresholdsJunit(summary));
    await this.#write('timeline.csv', () => renderTimelineCsv(summary));
    await this.#write('metrics.prom', () => renderRunMetrics(summary, input.availability.at(-1)?.cohorts));
    // Every audit finding with its resources, per sample: the per-day detail behind summary.audits.
    await this.#write('audits.ndjson', () =>
      input.audits
        .flatMap((sample) => sample.findings.map((f) => JSON.stringify({ time: new Date(sample.t).toISOString(), ...f, count: f.resources.length })))
        .map((line) => `${line}\n`)
        .join(''),
    );
    await this.#log.close().catch((error: unknown) => this.#fail(error instanceof OutputWriteError ? error : new OutputWriteError(join(this.dir, 'events.ndjson'), error)));
    return summary;
  }

  async #write(file: string, render: () => string | Promise<string>): Promise<void> {
    try {
      await writeFileAtomically(join(this.dir, file), await render());
    } catch (error) {
      if (!(error instanceof OutputWriteError)) throw error;
      this.#fail(error);
    }
  }

  #fail(error: OutputWriteError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#onFailure(error);
  }
}
