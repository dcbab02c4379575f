/**
 * Runs one operation over many students' stacks with at most `parallel` at once (floating-IP
 * allocation races and OpenStack API rate limits punish a class-wide burst). A failed student
 * never stops the others. `interrupt()` is what Ctrl-C calls: nothing new starts, running
 * operations are cancelled through the workspace, and every student ends with a state that says
 * what is left to do. Re-running continues: Pulumi itself makes finished stacks a no-change.
 */
import pLimit from "p-limit";
import { ChangeCounts, ClassWorkspace, isNoChange, Operation } from "./workspace";

export type StudentState =
  "queued" | "running" | "ok" | "no change" | "failed" | "cancelled" | "not started";

export interface StudentResult {
  id: string;
  state: StudentState;
  /** Seconds the operation ran (0 when it did not start). */
  seconds: number;
  changes?: ChangeCounts;
  error?: string;
}

/** Live progress: one call per change of a student's state or phase. */
export interface Reporter {
  update(id: string, state: StudentState, phase?: string, startedAt?: number): void;
}

export interface RunOptions {
  parallel: number;
  /** Up and preview: refresh each stack from the cloud first (OperationOptions.refresh). */
  refresh?: boolean;
  reporter?: Reporter;
  /** Milliseconds; injectable for tests. */
  clock?: () => number;
}

export const FINISHED_OK: readonly StudentState[] = ["ok", "no change"];

export class ClassRun {
  private stopped = false;
  private readonly running = new Set<string>();

  constructor(
    private readonly workspace: ClassWorkspace,
    private readonly operation: Operation,
    private readonly ids: readonly string[],
    private readonly options: RunOptions,
  ) {
    if (!Number.isInteger(options.parallel) || options.parallel < 1) {
      throw new Error(`--parallel must be a whole number of at least 1, not ${options.parallel}`);
    }
  }

  async run(): Promise<StudentResult[]> {
    const limit = pLimit(this.options.parallel);
    for (const id of this.ids) this.report(id, "queued");
    return Promise.all(this.ids.map((id) => limit(() => this.one(id))));
  }

  /** Stops starting students and cancels the running ones; run() then resolves. */
  interrupt(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const id of this.running) {
      // A failed cancel leaves that operation running to its end; it is still awaited.
      this.workspace.cancel(id).catch(() => undefined);
    }
  }

  private async one(id: string): Promise<StudentResult> {
    if (this.stopped) {
      this.report(id, "not started");
      return { id, state: "not started", seconds: 0 };
    }
    const clock = this.options.clock ?? Date.now;
    const started = clock();
    this.running.add(id);
    this.report(id, "running", this.operation, started);
    const seconds = () => (clock() - started) / 1000;
    try {
      const changes = await this.workspace[this.operation](id, {
        onPhase: (phase) => this.report(id, "running", phase, started),
        ...(this.options.refresh ? { refresh: true } : {}),
      });
      const state: StudentState = isNoChange(changes) ? "no change" : "ok";
      this.report(id, state, undefined, started);
      return { id, state, seconds: seconds(), changes };
    } catch (error) {
      const state: StudentState = this.stopped ? "cancelled" : "failed";
      this.report(id, state, undefined, started);
      return { id, state, seconds: seconds(), error: errorText(error) };
    } finally {
      this.running.delete(id);
    }
  }

  private report(id: string, state: StudentState, phase?: string, startedAt?: number): void {
    this.options.reporter?.update(id, state, phase, startedAt);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** 0 when every student finished; 1 when one failed; 130 (as shells do) when interrupted. */
export function exitCode(results: readonly StudentResult[]): number {
  if (results.some((r) => r.state === "cancelled" || r.state === "not started")) return 130;
  return results.every((r) => FINISHED_OK.includes(r.state)) ? 0 : 1;
}
