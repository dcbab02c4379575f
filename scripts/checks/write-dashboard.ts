/**
 * `npm run class -- dashboard`: reads every chosen student's stack status and (non-secret)
 * outputs, and the check runs saved by `class check`, then writes class.json and index.html
 * into the output folder. A teacher opens index.html, or serves the folder and the page
 * follows class.json as it is rewritten.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import pLimit from "p-limit";
import type { StudentReport } from "../class/reports";
import type { Student } from "../class/roster";
import type { ClassWorkspace } from "../class/workspace";
import { dashboardData } from "./dashboard-data";
import { DATA_FILE, PAGE_FILE, renderDashboard } from "./dashboard-html";
import { CheckRun, parseCheckRun } from "./report";

/** The saved runs in `resultsDir` (one per lab); files that are not runs are left out. */
export function readCheckRuns(resultsDir: string): CheckRun[] {
  if (!fs.existsSync(resultsDir)) return [];
  return fs
    .readdirSync(resultsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => parseCheckRun(fs.readFileSync(path.join(resultsDir, f), "utf8")) ?? []);
}

export async function writeDashboard(
  workspace: ClassWorkspace,
  students: readonly Student[],
  resultsDir: string,
  outDir: string,
  options: { parallel: number; today: string; now: Date },
): Promise<number> {
  const limit = pLimit(options.parallel);
  const reports: StudentReport[] = await Promise.all(
    students.map((s) =>
      limit(async () => {
        const status = await workspace.status(s.id);
        const outputs = status.exists ? await workspace.outputs(s.id) : {};
        return { id: s.id, status, outputs, ...(s.expires ? { expires: s.expires } : {}) };
      }),
    ),
  );
  const data = dashboardData(reports, readCheckRuns(resultsDir), options.today, options.now);
  fs.mkdirSync(outDir, { recursive: true });
  // class.json first: a page served from this folder that reloads it never sees a newer page
  // with older data.
  fs.writeFileSync(path.join(outDir, DATA_FILE), `${JSON.stringify(data, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, PAGE_FILE), renderDashboard(data));
  console.log(
    `Wrote ${path.join(outDir, PAGE_FILE)} (open it, or serve ${outDir}: the page then reloads ` +
      `${DATA_FILE} every 30 s) for ${students.length} students.`,
  );
  return 0;
}
