/**
 * npm run class:bench [-- --students 30 --parallel 5 --delay 200]
 *
 * `class preview` of a roster through the fake workspace, each operation taking a fixed delay:
 * prints the wall time against the ideal ceil(students / parallel) rounds and the most
 * operations seen at once. A measurement, not a test: timings vary with the machine.
 */
import { parseArgs } from "node:util";
import { FakeClassWorkspace } from "./fake-workspace";
import { ClassRun, exitCode } from "./runner";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      students: { type: "string", default: "30" },
      parallel: { type: "string", default: "5" },
      delay: { type: "string", default: "200" },
    },
  });
  const [students, parallel, delayMs] = [values.students, values.parallel, values.delay].map(
    Number,
  );
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

void main();
