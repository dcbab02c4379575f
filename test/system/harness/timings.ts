/**
 * Phase timings of a system-test run: name, start, end, duration. Phases may overlap (workers boot
 * in parallel, a benchmark runs beside a check); the report shows start and end relative to the
 * run's start so overlaps are visible, and lists which phases overlap each one.
 *
 * Each scenario writes its own file under report/scenarios/; timings.json and timings.md are then
 * rebuilt from every scenario file present, so one jest run with several scenario files ends with
 * one combined report.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPORT_DIR } from "./run-context";

export interface Phase {
  name: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Free-form facts measured in the phase, e.g. a ratio or a count. */
  note?: string;
}

export interface ScenarioTimings {
  scenario: string;
  /** The node release the scenario booted, e.g. "Debian 13". */
  release: string;
  recordedAt: string;
  totalMs: number;
  phases: Phase[];
}

export class TimingRecorder {
  private readonly origin = Date.now();
  private readonly phases: Phase[] = [];

  constructor(
    private readonly scenario: string,
    private readonly release: string,
  ) {}

  /** Times `work` as one phase; a phase that throws is recorded too, noted FAILED. */
  async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      const result = await work();
      this.add(name, start, Date.now());
      return result;
    } catch (error) {
      this.add(name, start, Date.now(), "FAILED");
      throw error;
    }
  }

  /** Records a phase measured elsewhere (absolute epoch milliseconds). */
  add(name: string, startEpochMs: number, endEpochMs: number, note?: string): void {
    this.phases.push({
      name,
      startMs: startEpochMs - this.origin,
      endMs: endEpochMs - this.origin,
      durationMs: endEpochMs - startEpochMs,
      ...(note === undefined ? {} : { note }),
    });
  }

  /** Attaches a measured fact to the most recent phase of that name. */
  note(name: string, note: string): void {
    const phase = [...this.phases].reverse().find((p) => p.name === name);
    if (phase) phase.note = phase.note ? `${phase.note}; ${note}` : note;
  }

  /** Writes this scenario's file, rebuilds the combined report, and returns its Markdown. */
  write(): string {
    const timings: ScenarioTimings = {
      scenario: this.scenario,
      release: this.release,
      recordedAt: new Date(this.origin).toISOString(),
      totalMs: Date.now() - this.origin,
      phases: [...this.phases].sort((a, b) => a.startMs - b.startMs),
    };
    const scenarioDir = join(REPORT_DIR, "scenarios");
    mkdirSync(scenarioDir, { recursive: true });
    writeFileSync(join(scenarioDir, `${this.scenario}.json`), JSON.stringify(timings, null, 2));
    const all = readdirSync(scenarioDir)
      .filter((file) => file.endsWith(".json"))
      .sort()
      .map((file) => JSON.parse(readFileSync(join(scenarioDir, file), "utf8")) as ScenarioTimings);
    writeFileSync(join(REPORT_DIR, "timings.json"), JSON.stringify(all, null, 2));
    writeFileSync(
      join(REPORT_DIR, "timings.md"),
      [renderSummary(all), ...all.map(renderMarkdown)].join("\n"),
    );
    return renderMarkdown(timings);
  }
}

/** One line per scenario: when it ran and how long it took, then the grand total. */
export function renderSummary(all: ScenarioTimings[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const total = all.reduce((sum, scenario) => sum + scenario.totalMs, 0);
  return [
    "## System test timings",
    "",
    "| scenario | nodes boot | recorded at | total s |",
    "| --- | --- | --- | ---: |",
    ...all.map((s) => `| ${s.scenario} | ${s.release} | ${s.recordedAt} | ${seconds(s.totalMs)} |`),
    `| **all scenarios** | | | **${seconds(total)}** |`,
    "",
  ].join("\n");
}

export function renderMarkdown(timings: ScenarioTimings): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const rows = timings.phases.map((phase) => {
    const overlapping = timings.phases
      .filter((other) => other !== phase && overlaps(phase, other))
      .map((other) => other.name);
    return `| ${phase.name} | ${seconds(phase.startMs)} | ${seconds(phase.endMs)} | ${seconds(
      phase.durationMs,
    )} | ${overlapping.join(", ")} | ${phase.note ?? ""} |`;
  });
  return [
    `### ${timings.scenario} on ${timings.release} (${timings.recordedAt}, total ${seconds(
      timings.totalMs,
    )} s)`,
    "",
    "| phase | start s | end s | duration s | overlaps | note |",
    "| --- | ---: | ---: | ---: | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

function overlaps(a: Phase, b: Phase): boolean {
  return a.startMs < b.endMs && b.startMs < a.endMs;
}
