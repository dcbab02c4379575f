/**
 * npm run class:bench [-- --students 30 --parallel 4 --delay 200]
 *
 * `class preview` of a roster through the fake workspace, each operation taking a fixed delay:
 * prints the wall time against the ideal ceil(students / parallel) rounds and the most
 * operations seen at once. A measurement, not a test: timings vary with the machine.
 */
import { parseArgs } from "node:util";
import { DEFAULT_PARALLEL, wholeNumber } from "./args";
import { FakeClassWorkspace } from "./fake-workspace";
import { ClassRun, exitCode } from "./runner";

export interface BenchArgs {
  students: number;
  parallel: number;
  delayMs: number;
}

/** The bench's flags, each checked like the class tool's (--parallel defaults the same). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        students: { type: "string", default: "30" },
        parallel: { type: "string", default: String(DEFAULT_PARALLEL) },
        delay: { type: "string", default: "200" },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const students = wholeNumber("--students", values.students, 1);
  const parallel = wholeNumber("--parallel", values.parallel, 1);
  const delayMs = wholeNumber("--delay", values.delay, 0);
  const errors = [students, parallel, delayMs].filter((v) => typeof v !== "number");
  if (errors.length > 0) return { error: errors.map((e) => e.error).join("\n") };
  return { students: students as number, parallel: parallel as number, delayMs: delayMs as number };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if ("error" in args) {
    console.error(
      `${args.error}\nusage: npm run class:bench -- [--students N] [--parallel N] [--delay MS]`,
    );
    process.exitCode = 2;
    return;
  }
  const { students, parallel, delayMs } = args;
  const ids = Array.from({ length: students }, (_, i) => `student-${i + 1}`);
  const workspace = new FakeClassWorkspace({ delayMs });
  const started = performance.now();
  const results = await new ClassRun(workspace, "preview", ids, { parallel }).run();
  const ms = performance.now() - started;
  const rounds = Math.ceil(students / parallel);
  console.log(
    [
      `students ${students}, parallel ${parallel}, ${delayMs} ms per operation`,
      `wall time ${ms.toFixed(0)} ms = ${(ms / delayMs).toFixed(2)} rounds (ideal ${rounds} rounds = ${rounds * delayMs} ms)`,
      `most at once ${workspace.maxActive}; operations ${workspace.calls.length}; exit code ${exitCode(results)}`,
    ].join("\n"),
  );
}

if (require.main === module) void main();
