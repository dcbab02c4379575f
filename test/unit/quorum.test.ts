import { managerGuardProvider } from "../../infra/swarm/manager-guard";
import { managerChangeProblem, toleratedFailures } from "../../infra/swarm/quorum";

describe("manager count changes", () => {
  it.each([
    [1, 0],
    [3, 1],
    [5, 2],
    [7, 3],
  ])("%i managers tolerate %i failures", (n, f) => expect(toleratedFailures(n)).toBe(f));

  it.each([
    [1, 3],
    [3, 7],
    [5, 3],
    [7, 5],
    [3, 3],
  ])("allows %i -> %i", (from, to) => expect(managerChangeProblem(from, to)).toBeUndefined());

  it("refuses 3 -> 1 and names the way to accept it", () => {
    expect(managerChangeProblem(3, 1)).toBe(
      "goes from 3 to 1: removing 2 of 3 managers in one update can lose Raft quorum " +
        "(3 managers tolerate losing 1); no smaller odd count keeps a majority of 3 managers. " +
        "To accept the risk for this one update, also set " +
        "`pulumi config set swarmlab:confirmManagerRemoval 3->1`",
    );
    expect(managerChangeProblem(3, 1, "3->1")).toBeUndefined();
    expect(managerChangeProblem(3, 1, "5->1")).toBeDefined();
  });

  it("refuses 7 -> 3 and points at the safe step 7 -> 5", () => {
    expect(managerChangeProblem(7, 3)).toMatch(/removing at most 3 at a time \(7 -> 5 first\)/);
  });
});

describe("the guard resource's check", () => {
  const check = managerGuardProvider.check as NonNullable<typeof managerGuardProvider.check>;

  it("accepts the first deployment and safe changes", async () => {
    expect((await check({}, { managers: 3, confirmation: "" })).failures).toEqual([]);
    expect((await check({ managers: 5 }, { managers: 3, confirmation: "" })).failures).toEqual([]);
  });

  it("fails preview of 3 -> 1 on the managers property", async () => {
    const result = await check(
      { managers: 3, confirmation: "" },
      { managers: 1, confirmation: "" },
    );
    expect(result.failures).toEqual([
      {
        property: "managers",
        reason: expect.stringMatching(/^swarmlab:managers goes from 3 to 1/),
      },
    ]);
  });
});
