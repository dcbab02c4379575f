/**
 * Issue 21, item 7: a `--json` preview prints the digest only; policy violations are in the
 * engine's event stream, which CI writes with `--event-log` (run-previews.sh). The fixture
 * fixtures/preview/failed-policy.events.jsonl is written in that stream's format as
 * pulumi/pulumi defines it: one apitype.EngineEvent per line (pkg/backend/display/display.go
 * logJSONEvent, a json.Encoder), the PolicyEvent fields of sdk/go/common/apitype/events.go, and
 * the message as pkg/engine/events.go policyViolationEvent and @pulumi/policy's
 * makeReportViolationFun make it (description, "\n", the rule's text, "\n").
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePreview } from "../../scripts/preview-summary/digest";
import { describeViolation, parseEventLog } from "../../scripts/preview-summary/policy-events";
import { renderReport } from "../../scripts/preview-summary/render";
import { summarizeStack } from "../../scripts/preview-summary/summarize";

const ROOT = path.join(__dirname, "../..");
const FIXTURES = path.join(__dirname, "fixtures", "preview");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");

describe("policy violations from the engine's event stream", () => {
  it("reads each policyEvent: rule, level, pack, resource, and what to change", () => {
    const log = parseEventLog(fixture("failed-policy.events.jsonl"));
    expect(log.unreadLines).toBe(0);
    expect(log.violations).toEqual([
      {
        pack: "swarmlab-class",
        packVersion: "0.1.0",
        policy: "swarmlab-no-open-swarm-ports",
        level: "mandatory",
        resource: "carol-firewall-swarm-api-public",
        description: "No swarm port (2377, 7946, 4789) is open to the whole internet.",
        detail: expect.stringMatching(
          /^security group rule carol-firewall-swarm-api-public opens swarm port 2377 to 0\.0\.0\.0\/0\. .*: remove 0\.0\.0\.0\/0 from swarmlab:allowedCidrs in Pulumi\.<stack>\.yaml/,
        ),
      },
    ]);
  });

  it("a failed --json preview: the summary names the violation and its fix", () => {
    // What CI keeps of a --json preview: its stderr holds no policy lines, only the end.
    const stack = summarizeStack("carol", parsePreview(fixture("failed-policy.json")), {
      log: "error: preview failed\n",
      exitCode: Number(fixture("failed-policy.exit")),
      events: parseEventLog(fixture("failed-policy.events.jsonl")),
    });
    expect(stack.errors).toEqual([
      "policy swarmlab-no-open-swarm-ports (mandatory, swarmlab-class v0.1.0) on " +
        "carol-firewall-swarm-api-public: security group rule carol-firewall-swarm-api-public " +
        "opens swarm port 2377 to 0.0.0.0/0. Swarm ports must be reachable only from the " +
        "cluster's own security group or from swarmlab:allowedCidrs: remove 0.0.0.0/0 from " +
        "swarmlab:allowedCidrs in Pulumi.<stack>.yaml (use your campus range), or drop the rule " +
        "if you added it yourself.",
    ]);
    const report = renderReport([stack]);
    expect(report).toContain("> [!CAUTION]\n> **The preview failed for 1 stack**");
    expect(report).toContain(
      "> - **carol**: policy swarmlab-no-open-swarm-ports (mandatory, swarmlab-class v0.1.0) on carol-firewall-swarm-api-public: security group rule",
    );
    expect(report).toContain("remove 0.0.0.0/0 from swarmlab:allowedCidrs");
  });

  it("an advisory violation is a warning; a stack policy has no resource", () => {
    const events = [
      JSON.stringify({
        sequence: 4,
        timestamp: 1764620003,
        policyEvent: {
          message:
            "<{%fg 12%}>A student's stack has at most the class's number of servers.\nlower swarmlab:workers<{%reset%}>\n",
          color: "raw",
          policyName: "swarmlab-max-nodes",
          policyPackName: "swarmlab-class",
          policyPackVersion: "0.1.0",
          policyPackVersionTag: "0.1.0",
          enforcementLevel: "advisory",
        },
      }),
      '{"sequence":5,"timest', // a preview killed mid-write
    ].join("\n");
    const log = parseEventLog(events);
    expect(log.unreadLines).toBe(1);
    const [violation] = log.violations;
    if (violation === undefined) throw new Error("no violation read");
    expect(describeViolation(violation)).toBe(
      "policy swarmlab-max-nodes (advisory, swarmlab-class v0.1.0) on the stack: lower swarmlab:workers",
    );
    const stack = summarizeStack("dora", parsePreview('{"steps":[]}'), {
      exitCode: 0,
      events: log,
    });
    expect(stack.errors).toEqual([]);
    expect(stack.warnings).toEqual([
      expect.stringMatching(/^policy swarmlab-max-nodes \(advisory/),
    ]);
  });

  it("npm run preview-summary reads <stack>.events.jsonl beside <stack>.json", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "previews-"));
    try {
      fs.copyFileSync(path.join(FIXTURES, "failed-policy.json"), path.join(dir, "carol.json"));
      fs.copyFileSync(path.join(FIXTURES, "failed-policy.exit"), path.join(dir, "carol.exit"));
      fs.copyFileSync(
        path.join(FIXTURES, "failed-policy.events.jsonl"),
        path.join(dir, "carol.events.jsonl"),
      );
      fs.writeFileSync(path.join(dir, "carol.log"), "error: preview failed\n");
      const report = execFileSync(
        path.join(ROOT, "node_modules/.bin/ts-node"),
        ["--transpile-only", path.join(ROOT, "scripts/preview-summary/main.ts"), "carol.json"],
        { cwd: dir, encoding: "utf8", env: { ...process.env, INIT_CWD: dir } },
      );
      expect(report).toContain(
        "**carol**: policy swarmlab-no-open-swarm-ports (mandatory, swarmlab-class v0.1.0)",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
