/**
 * npm run gitlab-note -- summary.md
 *
 * Puts the preview report on the merge request of this pipeline as ONE note: the note that starts
 * with the report's first line (its marker) is edited; there is a new note only the first time.
 * Runs in GitLab CI: CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID come from GitLab;
 * GITLAB_TOKEN is a project access token with the `api` scope (CI_JOB_TOKEN cannot write notes).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface Note {
  id: number;
  body: string;
  system?: boolean;
}

/** The report's earlier note: the first user note that starts with the marker line. */
export function findReportNote(notes: readonly Note[], marker: string): Note | undefined {
  return notes.find((n) => !n.system && n.body.startsWith(marker));
}

async function main(): Promise<number> {
  const file = process.argv[2];
  const env = (name: string) => {
    const value = process.env[name];
    if (!value)
      throw new Error(`${name} is not set (this runs in a GitLab merge request pipeline)`);
    return value;
  };
  if (!file) {
    console.error("usage: npm run gitlab-note -- summary.md");
    return 2;
  }
  const body = fs.readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), file), "utf8");
  const marker = body.split("\n", 1)[0];
  const base =
    `${env("CI_API_V4_URL")}/projects/${encodeURIComponent(env("CI_PROJECT_ID"))}` +
    `/merge_requests/${env("CI_MERGE_REQUEST_IID")}/notes`;
  const headers = { "PRIVATE-TOKEN": env("GITLAB_TOKEN"), "Content-Type": "application/json" };
  const call = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, headers });
    if (!response.ok) {
      throw new Error(
        `${init.method ?? "GET"} ${url}: ${response.status} ${await response.text()}`,
      );
    }
    return response.json() as Promise<unknown>;
  };

  let existing: Note | undefined;
  for (let page = 1; existing === undefined; page++) {
    const notes = (await call(`${base}?per_page=100&page=${page}&sort=asc`)) as Note[];
    existing = findReportNote(notes, marker);
    if (notes.length < 100) break;
  }
  if (existing) {
    await call(`${base}/${existing.id}`, { method: "PUT", body: JSON.stringify({ body }) });
    console.log(`updated note ${existing.id}`);
  } else {
    const created = (await call(base, { method: "POST", body: JSON.stringify({ body }) })) as Note;
    console.log(`created note ${created.id}`);
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
