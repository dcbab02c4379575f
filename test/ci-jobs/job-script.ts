/**
 * npx ts-node --transpile-only test/ci-jobs/job-script.ts <github|gitlab> <job>
 *
 * Prints, as one bash script, the commands a CI job runs, read from the workflow file itself
 * (.github/workflows/preview.yml, .gitlab-ci.yml) so the proof runs what CI runs, not a copy.
 * `uses:` steps have no command: checkout is the fresh clone the script runs in, setup-node the
 * image's Node (checked against the version the step asks for); any other action is refused.
 * No test is left out: the memory problem that once made program.test.ts skippable here is fixed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import YAML from "yaml";

const ROOT = path.join(__dirname, "..", "..");

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}

function githubJob(job: string): string[] {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8"));
  const spec = doc.jobs?.[job] as { container?: string; steps: GithubStep[] } | undefined;
  if (!spec) throw new Error(`preview.yml has no job ${job}`);
  const lines = [
    `echo "== GitHub job ${job} (container ${spec.container ?? "none: the runner VM"})"`,
  ];
  for (const step of spec.steps) {
    if (step.uses !== undefined) {
      const action = step.uses.split("@")[0];
      if (action === "actions/checkout") {
        lines.push(`echo "== ${step.uses}: the fresh clone this runs in"`);
      } else if (action === "actions/setup-node") {
        const wanted = String(step.with?.["node-version"] ?? "").replace(
          /\$\{\{\s*env\.(\w+)\s*\}\}/,
          (_, key: string) => String(doc.env?.[key] ?? ""),
        );
        lines.push(
          `echo "== ${step.uses}: the image's Node, asked for ${wanted}"`,
          `[[ "$(node --version)" == v${wanted}.* ]] || { echo "Node $(node --version) is not ${wanted}" >&2; exit 1; }`,
        );
      } else {
        throw new Error(`step uses ${step.uses}: no stand-in for that action`);
      }
      continue;
    }
    if (step.run === undefined) throw new Error(`a step of ${job} has neither uses nor run`);
    if (step.run.includes("${{")) throw new Error(`step "${step.run}" has an expression`);
    // GitHub runs each `run` as its own `bash -e` script.
    lines.push(`echo "== run: ${step.run.replace(/["$`\\]/g, "\\$&").trim()}"`);
    lines.push(`bash -e <<'STEP'\n${step.run.trimEnd()}\nSTEP`);
  }
  return lines;
}

interface GitlabJob {
  extends?: string | string[];
  image?: string;
  before_script?: string[];
  script?: string[];
}

function gitlabJob(job: string): string[] {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8")) as Record<
    string,
    unknown
  >;
  // `extends`: the job's own keys over its templates' (one level is all this file uses).
  const own = doc[job] as GitlabJob | undefined;
  if (!own) throw new Error(`.gitlab-ci.yml has no job ${job}`);
  const bases = ([] as string[]).concat(own.extends ?? []).map((name) => doc[name] as GitlabJob);
  const merged: GitlabJob = Object.assign({}, ...bases, own);
  const image = merged.image ?? (doc.default as GitlabJob | undefined)?.image;
  const variables = (doc.variables ?? {}) as Record<string, string>;
  // GitLab runs before_script and script in one shell that stops at the first failing line.
  return [
    `echo "== GitLab job ${job} (image ${image})"`,
    "set -eo pipefail",
    "export CI_PROJECT_DIR=$PWD",
    ...Object.entries(variables).map(([key, value]) => `export ${key}="${value}"`),
    ...[...(merged.before_script ?? []), ...(merged.script ?? [])].flatMap((line) => [
      `echo "== $ ${line.replace(/["$`\\]/g, "\\$&")}"`,
      line,
    ]),
  ];
}

function main(): void {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const [ci, job] = positionals;
  if ((ci !== "github" && ci !== "gitlab") || !job || positionals.length > 2) {
    throw new Error("usage: job-script.ts <github|gitlab> <job>");
  }
  const lines = ci === "github" ? githubJob(job) : gitlabJob(job);
  process.stdout.write(`#!/usr/bin/env bash\nset -e\n${lines.join("\n")}\n`);
}

main();
