/**
 * The preview summary on previews captured from the program under mocks (support/preview-digest.ts
 * plays the engine's replace decisions) and on fixtures in the documented `pulumi preview --json`
 * shape for what mocks cannot produce (a failed preview, a policy violation on stderr).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePreview, parseUrn } from "../../scripts/preview-summary/digest";
import type { PreviewDigest } from "../../scripts/preview-summary/digest";
import {
  DEFAULT_MAX_CHARS,
  GITHUB_COMMENT_LIMIT,
  REPORT_MARKER,
  renderReport,
} from "../../scripts/preview-summary/render";
import { SERVER_TYPE, summarizeStack } from "../../scripts/preview-summary/summarize";
import { argumentFact } from "../../infra/config/openstack-schema";
import { MOCK_TOKENS, RecordedResource, runProgram } from "./support/program";
import { previewDigest } from "./support/preview-digest";

const FIXTURES = path.join(__dirname, "fixtures", "preview");
const ALLOWED = JSON.stringify(["203.0.113.0/24"]);

/** The program's resources under mocks; the swarm steps' stdout only has to parse. */
async function resources(stack: string, config: Record<string, string>) {
  const run = await runProgram({ allowedCidrs: ALLOWED, ...config }, stack, {
    "-tokens": () => JSON.stringify({ ...MOCK_TOKENS, joinAddr: "10.42.0.10:2377" }),
    "-check": () => "[]",
  });
  if (run.error !== undefined) throw run.error;
  return run.resources;
}

function summary(stack: string, digest: PreviewDigest) {
  return summarizeStack(stack, parsePreview(JSON.stringify(digest)));
}

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), "utf8");
}

describe("previews captured from the program under mocks", () => {
  let base: RecordedResource[];
  let rebuilt: RecordedResource[];
  let scaled: RecordedResource[];

  beforeAll(async () => {
    base = await resources("alice", {});
    // dockerSource goes into the user-data: every server is rebuilt.
    rebuilt = await resources("alice", { dockerSource: "distro" });
    scaled = await resources("alice", { workers: "3" });
  });

  it("a change to the user-data: the warning comes first and names every server and why", () => {
    const stack = summary("alice", previewDigest("alice", base, rebuilt));
    expect(stack.serverReplacements).toEqual([
      { server: "alice-manager-0", reasons: [expect.stringMatching(/^user-data/)] },
      { server: "alice-worker-0", reasons: [expect.stringMatching(/^user-data/)] },
      { server: "alice-worker-1", reasons: [expect.stringMatching(/^user-data/)] },
    ]);
    // A new manager-0 is a new swarm: the tokens are read again (triggers hold its id).
    expect(stack.swarmSteps).toContainEqual(
      expect.objectContaining({
        name: "alice-bootstrap-tokens",
        kind: "replace",
        properties: ["triggers"],
      }),
    );

    const report = renderReport([stack]);
    const blocks = report.split("\n\n");
    expect(blocks[0]).toBe(REPORT_MARKER);
    expect(blocks[1]).toBe("### Pulumi preview: 1 stack");
    expect(blocks[2]).toMatch(
      /^> \[!WARNING\]\n> \*\*Servers would be replaced in 1 of 1 stack\.\*\*/,
    );
    expect(blocks[2]).toContain(
      "> - **alice**: 3 servers (alice-manager-0, alice-worker-0, alice-worker-1) because of user-data",
    );
    expect(report).toMatch(/\| alice \| 0 \| \d+ \| \d+ \| 0 \| ⚠️ \*\*3\*\* \| \d+ \|/);
    expect(report.indexOf("[!WARNING]")).toBeLessThan(report.indexOf("| stack |"));
    expect(report.indexOf("| stack |")).toBeLessThan(report.indexOf("<details>"));
    expect(report).toMatchSnapshot();
  });

  it("a scale-up: creates a server and its membership, re-runs the token, ready and rotation steps", () => {
    const stack = summary("alice", previewDigest("alice", base, scaled));
    expect(stack.serverReplacements).toEqual([]);
    // These steps' triggers hold the node count or list: they run again, nothing else changes.
    // Rotation (on by default) runs again so a later scale-up is handed current tokens.
    expect(stack.changes.filter((c) => c.kind !== "create")).toEqual([
      expect.objectContaining({ kind: "replace", name: "alice-bootstrap-tokens" }),
      expect.objectContaining({ kind: "replace", name: "alice-ready-check" }),
      expect.objectContaining({ kind: "replace", name: "alice-rotate-tokens" }),
    ]);
    expect(stack.changes).toContainEqual(
      expect.objectContaining({
        kind: "create",
        type: "openstack:compute/instance:Instance",
        name: "alice-worker-2-server",
      }),
    );
    expect(stack.swarmSteps.map((s) => [s.name, s.kind])).toEqual(
      expect.arrayContaining([
        ["alice-bootstrap-tokens", "replace"],
        ["alice-worker-2-membership", "create"],
        ["alice-ready-check", "replace"],
      ]),
    );
    const report = renderReport([stack]);
    expect(report).not.toContain("[!WARNING]");
    expect(report).toContain("1 stack would change; swarm steps would run in 1.");
  });

  it("a scale-down deletes the node and runs its membership's delete (drain, node rm)", () => {
    const stack = summary("alice", previewDigest("alice", scaled, base));
    expect(stack.counts.delete).toBeGreaterThan(0);
    expect(stack.swarmSteps).toContainEqual(
      expect.objectContaining({
        name: "alice-worker-2-membership",
        kind: "delete",
        role: expect.stringContaining("drains and removes the node"),
      }),
    );
  });

  it("no change: every count is 0, no warning, one line saying so", () => {
    const digest = previewDigest("alice", base, base);
    expect(digest.steps).toEqual([expect.objectContaining({ op: "same" })]);
    const stack = summary("alice", digest);
    expect(stack.counts).toEqual({ create: 0, update: 0, replace: 0, delete: 0 });
    expect(stack.unchanged).toBe(base.length);
    const report = renderReport([stack]);
    expect(report).not.toContain("[!WARNING]");
    expect(report).not.toContain("[!CAUTION]");
    expect(report).toContain("No changes: every stack is up to date with this change.");
    expect(report).toContain("| alice | 0 | 0 | 0 | 0 | 0 | 0 |");
  });

  it("an oversized class report is cut below GitHub's limit, with a note naming what is left out", () => {
    const one = previewDigest("alice", base, rebuilt);
    // 120 students, every server of each replaced: the same captured preview under 80 stack names.
    const stacks = Array.from({ length: 120 }, (_, i) => {
      const name = `student-${String(i).padStart(3, "0")}`;
      const text = JSON.stringify(one).replaceAll("alice", name);
      return summarizeStack(name, parsePreview(text));
    });
    const full = renderReport(stacks, { maxChars: 10_000_000 });
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);

    const report = renderReport(stacks, { fullReportHint: "See the artifact preview-json." });
    expect(report.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(report.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    // The head (warning for every stack, the table) is whole; details stop, then the note.
    expect(report).toContain("Servers would be replaced in 120 of 120 stacks.");
    expect(report).toContain("| student-119 |");
    const shown = report.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(120);
    expect(report.trimEnd().endsWith("See the artifact preview-json.")).toBe(true);
    expect(report).toContain(
      `> [!NOTE]\n> This report was cut to stay under GitHub's 65,536-character comment limit: ` +
        `the details of ${120 - shown} stacks (student-${String(shown).padStart(3, "0")}, `,
    );
    // Every <details> that was started is closed.
    expect(report.match(/<\/details>/g)?.length).toBe(shown);
  });
});

describe("fixtures in the documented shape", () => {
  it("a failed preview (policy violation): caution first, its errors and stderr in the details", () => {
    // The digest looks complete (policy events are not in it): the exit status says it failed.
    const stack = summarizeStack("carol", parsePreview(fixture("failed-policy.json")), {
      log: fixture("failed-policy.log"),
      exitCode: Number(fixture("failed-policy.exit")),
    });
    expect(stack.stack).toBe("carol");
    expect(stack.errors).toEqual([
      expect.stringMatching(
        /^policy \[mandatory\] swarmlab-class v0.1.0 swarmlab-no-open-swarm-ports .*: security group rule carol-firewall-swarm-api-public opens swarm port 2377 to 0.0.0.0\/0/,
      ),
    ]);
    const report = renderReport([stack]);
    expect(report).toContain("> [!CAUTION]\n> **The preview failed for 1 stack**");
    expect(report).toContain("| carol | ❌ preview failed | | | | | |");
    expect(report).toContain("<details><summary><b>carol</b>: preview failed</summary>");
    expect(report).toContain(
      "> - **carol**: policy [mandatory] swarmlab-class v0.1.0 swarmlab-no-open-swarm-ports",
    );
    expect(report).toContain("error: preview failed"); // the log's tail, in the details
    expect(report).not.toContain("[!WARNING]");
  });

  it("a non-zero exit without errors in the JSON or the log still fails the stack", () => {
    const stack = summarizeStack("carol", parsePreview(fixture("failed-policy.json")), {
      exitCode: 1,
    });
    expect(stack.errors).toEqual(["pulumi preview exited with status 1"]);
  });

  it("a preview that printed nothing or plain text fails that stack, not the report", () => {
    for (const [output, reason] of [
      ["", "the preview printed nothing"],
      ["error: could not log in to the backend\n", "did not print JSON: error: could not log in"],
      // Not "No changes": an object with none of the digest's keys is not a preview (issue 26).
      ["{}", "none of a preview digest's keys"],
    ]) {
      const stack = summarizeStack("dave", parsePreview(output));
      expect(stack.errors).toEqual([expect.stringContaining(reason)]);
      expect(renderReport([stack])).toContain("| dave | ❌ preview failed |");
    }
  });

  it("a replace shown as replacement steps, with reasons only in the detailed diff", () => {
    const stack = summarizeStack("erin", parsePreview(fixture("replacement-steps.json")));
    expect(stack.counts).toEqual({ create: 0, update: 1, replace: 1, delete: 0 });
    expect(stack.serverReplacements).toEqual([
      {
        server: "erin-manager-0",
        reasons: [
          "image: swarmlab replaces it (rebuild key) instead of letting the provider rebuild it (same id, fresh disk)",
        ],
      },
    ]);
    expect(stack.changes.find((c) => c.kind === "update")?.properties).toEqual(["metadata"]);
  });

  it("text from the preview cannot break the Markdown (pipes, HTML, backticks)", () => {
    const digest: PreviewDigest = {
      steps: [
        {
          op: "update",
          urn: "urn:pulumi:x::swarmlab::command:remote:Command::a|b<script>",
          diffReasons: ["create"],
        },
      ],
      diagnostics: [{ severity: "warning", message: "``` closes a fence" }],
    };
    const report = renderReport([summarizeStack("x", parsePreview(JSON.stringify(digest)))]);
    expect(report).toContain("a\\|b&lt;script&gt;");
    expect(report).not.toContain("<script>");
    expect(report).toContain("````text\n``` closes a fence\n````");
  });

  it("takes the stack's name from the URNs", () => {
    expect(
      parseUrn("urn:pulumi:bob::swarmlab::a:b:C$openstack:compute/instance:Instance::n"),
    ).toEqual({
      stack: "bob",
      project: "swarmlab",
      type: "openstack:compute/instance:Instance",
      name: "n",
    });
  });
});

describe("why a server is replaced: the reasons come from the provider's table", () => {
  // The engine names the properties behind a replace in replaceReasons (pkg/engine/diff; the
  // digest's `replaceReasons`): a ForceNew argument of the provider, or one the program listed in
  // replaceOnChanges. What each does is infra/config/openstack-schema.ts's, read off
  // terraform-provider-openstack v1.54.1: the summary keeps no list of its own.
  const replaced = (server: string, replaceReasons: string[]): PreviewDigest["steps"] => [
    {
      op: "replace",
      urn: `urn:pulumi:finn::swarmlab::swarmlab:nodes:LabNode$${SERVER_TYPE}::${server}-server`,
      newState: { type: SERVER_TYPE, inputs: { name: server } },
      replaceReasons,
    },
  ];

  it("says the provider would resize or rebuild in place, and that the rebuild key replaces instead", () => {
    const stack = summary("finn", {
      steps: [
        ...(replaced("finn-manager-0", ["flavorName"]) ?? []),
        ...(replaced("finn-worker-0", ["imageId", "blockDevices"]) ?? []),
        ...(replaced("finn-worker-1", ["userData", "availabilityZone"]) ?? []),
      ],
    });
    expect(stack.serverReplacements).toEqual([
      {
        server: "finn-manager-0",
        reasons: [
          "flavor: swarmlab replaces it (rebuild key) instead of letting the provider resize it (a reboot)",
        ],
      },
      {
        server: "finn-worker-0",
        reasons: [
          "image: swarmlab replaces it (rebuild key) instead of letting the provider rebuild it (same id, fresh disk)",
          "disks (boot volume or Docker volume): the provider replaces it (ForceNew)",
        ],
      },
      {
        server: "finn-worker-1",
        reasons: [
          "user-data (a template or a setting rendered into cloud-init changed): the provider replaces it (ForceNew)",
          // Not an argument swarmlab sets, so not in the table: named as the engine named it.
          "availabilityZone",
        ],
      },
    ]);
    // The very facts the program's plans read.
    expect(argumentFact(SERVER_TYPE, "flavorName")?.effect).toBe("update");
    expect(argumentFact(SERVER_TYPE, "blockDevices")?.effect).toBe("replace");
  });
});
