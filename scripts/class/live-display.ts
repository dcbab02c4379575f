/**
 * The live display: one line per student (state, phase, elapsed time), drawn by listr2. listr2
 * redraws in place on a terminal and falls back to one line per change elsewhere (CI logs). The
 * runner owns the work; each listr2 task only waits for its student's end state, so the display
 * can never change what runs or how many at once.
 */
import { Listr, ListrTaskWrapper } from "listr2";
import type { Reporter, StudentState } from "./runner";
import { minutesSeconds } from "./table";

type Task = ListrTaskWrapper<unknown, never, never>;

interface Line {
  state: StudentState;
  phase?: string;
  startedAt?: number;
  task?: Task;
  finish?: (error?: Error) => void;
}

/** The text of one student's line; pure, so tests and the fallback renderer agree. */
export function lineText(
  id: string,
  width: number,
  line: Omit<Line, "task" | "finish">,
  now: number,
): string {
  const elapsed =
    line.startedAt === undefined ? "" : ` ${minutesSeconds((now - line.startedAt) / 1000)}`;
  const phase = line.phase && line.state === "running" ? ` · ${line.phase}` : "";
  return `${id.padEnd(width)}  ${line.state}${phase}${elapsed}`;
}

export class LiveDisplay implements Reporter {
  private readonly lines = new Map<string, Line>();
  private readonly width: number;
  private readonly done: Promise<unknown>;
  private readonly ticker: NodeJS.Timeout | undefined;

  constructor(ids: readonly string[], tty = Boolean(process.stdout.isTTY)) {
    this.width = Math.max(...ids.map((id) => id.length));
    for (const id of ids) this.lines.set(id, { state: "queued" });
    const listr = new Listr(
      ids.map((id) => ({
        title: this.text(id),
        task: (_: unknown, task: Task) =>
          new Promise<void>((resolve, reject) => {
            const line = this.lines.get(id) as Line;
            line.task = task;
            line.finish = (error) => (error ? reject(error) : resolve());
            // The student may have ended before listr2 started this task.
            this.settle(id);
          }),
      })),
      { concurrent: true, exitOnError: false, collectErrors: false },
    );
    this.done = listr.run().catch(() => undefined);
    // Elapsed time only moves on a terminal; in a log, one line per change is enough.
    this.ticker = tty ? setInterval(() => this.redrawRunning(), 1000) : undefined;
  }

  update(id: string, state: StudentState, phase?: string, startedAt?: number): void {
    const line = this.lines.get(id);
    if (line === undefined) return;
    Object.assign(line, { state, phase, startedAt });
    if (line.task) line.task.title = this.text(id);
    this.settle(id);
  }

  private settle(id: string): void {
    const line = this.lines.get(id) as Line;
    if (!line.task || !line.finish) return;
    if (line.state === "ok" || line.state === "no change") line.finish();
    else if (line.state === "not started") {
      line.task.skip(this.text(id));
      line.finish();
    } else if (line.state === "failed" || line.state === "cancelled") {
      line.finish(new Error("see the summary below"));
    }
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.done;
  }

  private text(id: string): string {
    return lineText(id, this.width, this.lines.get(id) as Line, Date.now());
  }

  private redrawRunning(): void {
    for (const [id, line] of this.lines) {
      if (line.state === "running" && line.task) line.task.title = this.text(id);
    }
  }
}
