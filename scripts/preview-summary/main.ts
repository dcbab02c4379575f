/**
 * npm run preview-summary -- [--out report.md] [--max-chars N] [--hint TEXT] <stack>.json ...
 *
 * Reads the output of `pulumi preview --json` for one or many stacks (one file each, named after
 * the stack) and writes a short Markdown report for a pull/merge-request comment; stdout without
 * --out. Beside each `<stack>.json`, CI may leave `<stack>.events.jsonl` (the engine's event
 * stream from `--event-log`: the policy violations, which the JSON digest leaves out),
 * `<stack>.log` (the preview's stderr: most errors) and `<stack>.exit` (its exit status: a preview
 * stopped by a policy still prints a complete-looking digest).
 *
 * Exit status: 0 when the report was written, whatever the previews said (CI decides what fails
 * the job from the preview's own exit status); 2 on bad usage or an unreadable file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parsePreview } from "./digest";
import { parseEventLog } from "./policy-events";
import { renderReport } from "./render";
import { summarizeStack } from "./summarize";

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "max-chars": { type: "string" },
      hint: { type: "string" },
    },
  });
  const maxChars = values["max-chars"] === undefined ? undefined : Number(values["max-chars"]);
  if (positionals.length === 0 || (maxChars !== undefined && !(maxChars > 0))) {
    console.error(
      "usage: npm run preview-summary -- [--out report.md] [--max-chars N] [--hint TEXT] <stack>.json ...",
    );
    return 2;
  }
  // `npm run` starts scripts in the package folder: paths are relative to where it was called.
  const from = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
  const stacks = [];
  for (const file of positionals.map(from)) {
    if (!fs.existsSync(file)) {
      console.error(`${file} not found`);
      return 2;
    }
    const base = file.replace(/\.json$/, "");
    const read = (suffix: string) =>
      fs.existsSync(base + suffix) ? fs.readFileSync(base + suffix, "utf8") : undefined;
    const [log, exit, events] = [read(".log"), read(".exit"), read(".events.jsonl")];
    const run = {
      ...(log !== undefined ? { log } : {}),
      ...(events !== undefined ? { events: parseEventLog(events) } : {}),
      ...(exit !== undefined ? { exitCode: Number(exit.trim()) } : {}),
    };
    const stack = path.basename(base);
    stacks.push(summarizeStack(stack, parsePreview(fs.readFileSync(file, "utf8")), run));
  }
  const report = renderReport(stacks, {
    ...(maxChars !== undefined ? { maxChars } : {}),
    ...(values.hint ? { fullReportHint: values.hint } : {}),
  });
  if (values.out) fs.writeFileSync(from(values.out), report);
  else process.stdout.write(report);
  return 0;
}

process.exitCode = main();
