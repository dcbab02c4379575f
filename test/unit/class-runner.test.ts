import { DEFAULT_PARALLEL } from "../../scripts/class/args";
import { parseBenchArgs } from "../../scripts/class/benchmark";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import { ClassRun, exitCode, StudentState } from "../../scripts/class/runner";
import { renderSummary } from "../../scripts/class/summary";

const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);

describe("ClassRun", () => {
  it("never runs more than N operations at once, and runs every student", async () => {
    const workspace = new FakeClassWorkspace({ delayMs: 20 });
    const results = await new ClassRun(workspace, "preview", ids(12), { parallel: 3 }).run();
    expect(workspace.maxActive).toBe(3);
    expect(workspace.calls).toHaveLength(12);
    expect(results.map((r) => r.state)).toEqual(Array(12).fill("ok"));
    expect(exitCode(results)).toBe(0);
  });

  it("passes --refresh to every student's operation", async () => {
    const workspace = new FakeClassWorkspace({ delayMs: 1 });
    await new ClassRun(workspace, "up", ids(2), { parallel: 2, refresh: true }).run();
    expect(workspace.calls).toEqual(["up s01 --refresh", "up s02 --refresh"]);
  });

  it("goes on after a failed student, reports it, and sets the exit code", async () => {
    const workspace = new FakeClassWorkspace({ delayMs: 5, failing: new Set(["s02"]) });
    const results = await new ClassRun(workspace, "up", ids(4), { parallel: 2 }).run();
    expect(results.map((r) => [r.id, r.state])).toEqual([
      ["s01", "ok"],
      ["s02", "failed"],
      ["s03", "ok"],
      ["s04", "ok"],
    ]);
    expect(results[1].error).toBe(
      "error: s02: creating server s02-worker-1: Quota exceeded for instances",
    );
    expect(exitCode(results)).toBe(1);
    const summary = renderSummary("up", results);
    expect(summary).toContain(
      "| s02     | failed | 0:00 |         | error: s02: creating server s02-worker-1: Quota exceeded for instances |",
    );
    expect(summary).toContain("up: 3 of 4 students finished.\nLeft to do (1): s02.\n");
    expect(summary).toContain("`npm run class -- up --only s02`");
  });

  it("resumes: a re-run finds finished students unchanged and retries the failed one", async () => {
    const failing = new Set(["s03"]);
    const workspace = new FakeClassWorkspace({ delayMs: 5, failing });
    const first = await new ClassRun(workspace, "up", ids(3), { parallel: 2 }).run();
    expect(first.map((r) => r.state)).toEqual(["ok", "ok", "failed"]);
    failing.clear();
    const second = await new ClassRun(workspace, "up", ids(3), { parallel: 2 }).run();
    expect(second.map((r) => [r.state, r.changes])).toEqual([
      ["no change", { same: 24 }],
      ["no change", { same: 24 }],
      ["ok", { create: 24 }],
    ]);
    expect(exitCode(second)).toBe(0);
  });

  it("on interrupt cancels the running operations, starts nothing new and says what is left", async () => {
    const workspace = new FakeClassWorkspace({ delayMs: 10_000 });
    const states: Record<string, StudentState[]> = {};
    const run = new ClassRun(workspace, "up", ids(5), {
      parallel: 2,
      reporter: { update: (id, state) => (states[id] ??= []).push(state) },
    });
    const done = run.run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    run.interrupt();
    const results = await done;
    expect(results.map((r) => r.state)).toEqual([
      "cancelled",
      "cancelled",
      "not started",
      "not started",
      "not started",
    ]);
    expect(workspace.calls).toEqual(["up s01", "up s02"]);
    expect(states.s01).toEqual(["queued", "running", "running", "cancelled"]);
    expect(exitCode(results)).toBe(130);
    expect(renderSummary("up", results)).toContain("Left to do (5): s01, s02, s03, s04, s05.");
  });

  it("refuses a parallelism below one", () => {
    expect(
      () => new ClassRun(new FakeClassWorkspace({ delayMs: 0 }), "up", [], { parallel: 0 }),
    ).toThrow("--parallel must be a whole number of at least 1, not 0");
  });
});

describe("npm run class:bench's flags (issue 26, items 10 and 12)", () => {
  it("defaults to the class tool's --parallel", () => {
    expect(parseBenchArgs([])).toEqual({ students: 30, parallel: DEFAULT_PARALLEL, delayMs: 200 });
  });

  it("refuses what is not a whole number, naming every bad flag, instead of printing NaN", () => {
    expect(parseBenchArgs(["--students", "abc", "--parallel", "0", "--delay=-1"])).toEqual({
      error: [
        '--students is "abc": give a whole number of at least 1',
        '--parallel is "0": give a whole number of at least 1',
        '--delay is "-1": give a whole number of at least 0',
      ].join("\n"),
    });
    expect(parseBenchArgs(["--students"])).toEqual({
      error: expect.stringContaining("--students"),
    });
  });
});
