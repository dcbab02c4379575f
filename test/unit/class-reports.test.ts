import { parseClassArgs, selectStudents, USAGE } from "../../scripts/class/args";
import { expiredIds, isCalendarDate, isExpired, localDay } from "../../scripts/class/expiry";
import { renderOutputs, renderStatus } from "../../scripts/class/reports";
import type { Student } from "../../scripts/class/roster";
import { csvTable } from "../../scripts/class/table";

const student = (id: string, expires?: string): Student => ({
  id,
  config: {},
  project: {},
  ...(expires ? { expires } : {}),
});
const CLASS = [student("alice", "2026-12-18"), student("bob", "2027-01-15"), student("carol")];

describe("expiry", () => {
  it("expires a cluster the day after its last day", () => {
    expect(isExpired("2026-12-18", "2026-12-18")).toBe(false);
    expect(isExpired("2026-12-18", "2026-12-19")).toBe(true);
    expect(isExpired(undefined, "2099-01-01")).toBe(false);
    expect(expiredIds(CLASS, "2027-01-01")).toEqual(["alice"]);
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });

  it("accepts only real calendar days", () => {
    expect(["2026-12-18", "2028-02-29"].map(isCalendarDate)).toEqual([true, true]);
    expect(["2026-02-29", "2026-13-01", "18.12.2026", "2026-1-5"].map(isCalendarDate)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("destroy --expired selects just the expired students, --only narrows further", () => {
    const ids = (args: { only?: string[]; expired: boolean }, today: string) => {
      const selected = selectStudents(CLASS, args, today);
      return "error" in selected ? selected.error : selected.map((s) => s.id);
    };
    expect(ids({ expired: true }, "2027-02-01")).toEqual(["alice", "bob"]);
    expect(ids({ expired: true, only: ["bob", "carol"] }, "2027-02-01")).toEqual(["bob"]);
    expect(ids({ expired: false, only: ["carol", "alice"] }, "2026-01-01")).toEqual([
      "alice",
      "carol",
    ]);
    expect(ids({ expired: false, only: ["dave"] }, "2026-01-01")).toBe(
      "--only names students not in the roster: dave",
    );
  });
});

describe("parseClassArgs", () => {
  it("reads verb and options with their defaults", () => {
    expect(parseClassArgs(["up", "--only", "alice, bob", "--parallel", "2"])).toEqual({
      verb: "up",
      roster: "class.yaml",
      only: ["alice", "bob"],
      parallel: 2,
      expired: false,
      format: "md",
      skipQuota: false,
      refresh: false,
      out: "bundles",
    });
  });

  it("refuses what it cannot do", () => {
    expect(parseClassArgs([])).toEqual({
      error: "name one verb: init, preview, up, destroy, refresh, outputs, bundles, status",
    });
    expect(parseClassArgs(["up", "--parallel", "0"])).toEqual({
      error: '--parallel is "0": give a whole number of at least 1',
    });
    expect(parseClassArgs(["up", "--expired"])).toEqual({
      error: "--expired goes with destroy (status shows which clusters are expired)",
    });
    expect(parseClassArgs(["destroy", "--refresh"])).toEqual({
      error: "--refresh goes with up or preview (the refresh verb refreshes alone)",
    });
  });

  // Issue 21, item 7: `pulumi up --refresh` is how Pulumi learns of a server deleted out of band.
  it("takes --refresh with up and preview", () => {
    expect(parseClassArgs(["up", "--refresh"])).toMatchObject({ verb: "up", refresh: true });
    expect(parseClassArgs(["preview", "--refresh"])).toMatchObject({ refresh: true });
    expect(USAGE).toContain("--refresh         with up or preview");
  });
});

describe("outputs and status tables", () => {
  const end = new Date(2026, 10, 23, 14, 5);
  const reports = [
    {
      id: "alice",
      expires: "2026-11-20",
      status: {
        exists: true,
        resourceCount: 24,
        lastUpdate: { kind: "update", result: "succeeded" as const, startTime: end, endTime: end },
      },
      outputs: {
        managerPublicIp: "203.0.113.10",
        sshCommand: "ssh -i alice.pem ubuntu@203.0.113.10",
        // The program's `stacks` output (infra/stacks/stacks.ts StackStatus).
        stacks: {
          hostname: { services: [], urls: { "web:8080": "http://203.0.113.10:8080" } },
        },
      },
    },
    {
      id: "bob",
      status: {
        exists: true,
        resourceCount: 9,
        lastUpdate: { kind: "update", result: "failed" as const, startTime: end },
      },
      outputs: {},
    },
    { id: "carol", expires: "2026-11-20", status: { exists: false }, outputs: {} },
  ];

  it("renders the hand-out table as Markdown and CSV (registry empty until it exists)", () => {
    expect(renderOutputs(reports, "md")).toBe(
      [
        "| student | manager IP   | ssh command                          | registry | stacks                                     | state         |",
        "| ------- | ------------ | ------------------------------------ | -------- | ------------------------------------------ | ------------- |",
        "| alice   | 203.0.113.10 | ssh -i alice.pem ubuntu@203.0.113.10 |          | hostname web:8080 http://203.0.113.10:8080 | up            |",
        "| bob     |              |                                      |          |                                            | update failed |",
        "| carol   |              |                                      |          |                                            | no stack      |",
        "",
      ].join("\n"),
    );
    expect(renderOutputs(reports, "csv").split("\r\n")[1]).toBe(
      "alice,203.0.113.10,ssh -i alice.pem ubuntu@203.0.113.10,,hostname web:8080 http://203.0.113.10:8080,up",
    );
    expect(csvTable(["a"], [['say "hi", ok']])).toBe('a\r\n"say ""hi"", ok"\r\n');
  });

  it("flags expired clusters that still exist in status", () => {
    expect(renderStatus(reports, "2026-11-23")).toBe(
      [
        "| student | stack | resources | last update | when             | result    | expires            |",
        "| ------- | ----- | --------- | ----------- | ---------------- | --------- | ------------------ |",
        "| alice   | yes   | 24        | update      | 2026-11-23 14:05 | succeeded | 2026-11-20 EXPIRED |",
        "| bob     | yes   | 9         | update      | 2026-11-23 14:05 | failed    |                    |",
        "| carol   | no    |           |             |                  |           | 2026-11-20         |",
        "",
        "1 expired: alice; `npm run class -- destroy --expired` removes just those.",
        "",
      ].join("\n"),
    );
  });
});
