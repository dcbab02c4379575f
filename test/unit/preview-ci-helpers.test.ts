/** The small pure helpers CI calls around the preview: which stacks, and which note to edit. */
import {
  affectedStacks,
  batches,
  requestedStacks,
} from "../../scripts/preview-summary/affected-stacks";
import { findReportNote } from "../../scripts/preview-summary/gitlab-note";
import { REPORT_MARKER } from "../../scripts/preview-summary/render";

const REPO = [
  "Pulumi.yaml",
  "Pulumi.example.yaml",
  "Pulumi.alice.yaml",
  "Pulumi.bob.yaml",
  "Pulumi.carol.yaml",
  "README.md",
  "infra",
  "templates",
];

describe("affectedStacks", () => {
  it("a change to shared code or templates previews every stack (not the example)", () => {
    expect(affectedStacks(["templates/swarm-up.sh"], REPO)).toEqual(["alice", "bob", "carol"]);
    expect(affectedStacks(["infra/nodes.ts", "README.md"], REPO)).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
    expect(affectedStacks(["Pulumi.yaml"], REPO)).toEqual(["alice", "bob", "carol"]);
  });

  it("a change to stack files previews only those stacks", () => {
    expect(affectedStacks(["Pulumi.bob.yaml"], REPO)).toEqual(["bob"]);
    expect(affectedStacks(["Pulumi.carol.yaml", "Pulumi.alice.yaml"], REPO)).toEqual([
      "alice",
      "carol",
    ]);
    // A removed stack file (no longer in the repository) has nothing to preview.
    expect(affectedStacks(["Pulumi.dave.yaml"], REPO)).toEqual([]);
    expect(affectedStacks(["Pulumi.example.yaml"], REPO)).toEqual([]);
  });

  it("ignores files whose name is no stack name (and could inject shell into CI)", () => {
    const repo = [...REPO, "Pulumi.$(touch x).yaml", "Pulumi.a b.yaml"];
    expect(affectedStacks(["infra/nodes.ts"], repo)).toEqual(["alice", "bob", "carol"]);
  });

  it("documentation and tests preview nothing", () => {
    expect(affectedStacks(["README.md", "test/unit/cidr.test.ts"], REPO)).toEqual([]);
    expect(affectedStacks([], REPO)).toEqual([]);
  });
});

describe("batches", () => {
  const stacks = Array.from({ length: 30 }, (_, i) => `s${i}`);

  it("keeps the matrix bounded and every stack in exactly one batch, in order", () => {
    const result = batches(stacks, 8);
    expect(result.length).toBeLessThanOrEqual(8);
    expect(result.flat()).toEqual(stacks);
    expect(Math.max(...result.map((b) => b.length))).toBe(4);
  });

  it("one stack per batch when there are few; none when there are none", () => {
    expect(batches(["a", "b"], 8)).toEqual([["a"], ["b"]]);
    expect(batches([], 8)).toEqual([]);
  });
});

describe("requestedStacks", () => {
  it("takes names separated by spaces or commas, or all", () => {
    expect(requestedStacks("alice, bob", REPO)).toEqual({ ok: true, stacks: ["alice", "bob"] });
    expect(requestedStacks("all", REPO)).toEqual({ ok: true, stacks: ["alice", "bob", "carol"] });
  });

  it("refuses a name without a stack file, so a typo updates nothing", () => {
    expect(requestedStacks("alice alcie example", REPO)).toEqual({
      ok: false,
      unknown: ["alcie", "example"],
    });
  });
});

describe("findReportNote", () => {
  it("finds the earlier report by its marker, never a system note or another comment", () => {
    const notes = [
      { id: 1, body: "looks good", system: false },
      { id: 2, body: `${REPORT_MARKER}\n### old`, system: true },
      { id: 3, body: `${REPORT_MARKER}\n### Pulumi preview: 3 stacks`, system: false },
    ];
    expect(findReportNote(notes, REPORT_MARKER)?.id).toBe(3);
    expect(findReportNote(notes.slice(0, 2), REPORT_MARKER)).toBeUndefined();
  });
});
