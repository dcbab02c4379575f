/**
 * The program in `pulumi preview`, against the state of earlier updates: what a teacher sees
 * before anything runs. In a preview the engine gives a created or changed resource only its
 * inputs back, so every computed output (a swarm step's stdout and answeredBy among them) is
 * unknown and an apply over it never runs; an unchanged resource keeps its stored outputs
 * (support/program.ts says where the engine does this). A warning that waits on such an output is
 * silent in every preview, which is how the rebuild warning went unseen (issue 21).
 */
import { names, nextDeployment, ProgramRun, runProgram, swarmStdout } from "./support/program";

const CONFIG = {
  allowedCidrs: JSON.stringify(["203.0.113.0/24"]),
  managers: "3",
  workers: "3",
};
const CLUSTER = swarmStdout(names("kai", 3, 3));
/** The surviving managers print what the bootstrap prints: the join facts. */
const STDOUT = { ...CLUSTER, "-survivors": CLUSTER["-tokens"] };

/** Runs with the previous run as the stack's state; returns the run and the warnings it logged. */
function after(previous: ProgramRun, config: Record<string, string>, preview: boolean) {
  return nextDeployment(previous, "kai", config, STDOUT, { preview });
}

describe("a preview over an existing 3+3 swarm", () => {
  let second: ProgramRun;

  beforeAll(async () => {
    const first = await runProgram(CONFIG, "kai", STDOUT);
    if (first.error !== undefined) throw first.error;
    // The second `up` asks the survivors: its survivors step has manager addresses.
    second = (await after(first, CONFIG, false)).run;
  }, 120_000);

  it("says that a new user-data rebuilds every server into a NEW swarm, before anything runs", async () => {
    const { run, warnings } = await after(second, { ...CONFIG, bootTimeoutSeconds: "1200" }, true);
    // Every server is replaced (new user-data), so the bootstrap, keyed on manager-0's id, is
    // replaced too: its outputs are unknown in this preview, and the warning cannot wait on them.
    expect(run.byName("kai-manager-0-server").step).toBe("replace");
    expect(run.byName("kai-bootstrap-tokens").step).toBe("replace");
    expect(warnings).toEqual([
      expect.stringMatching(
        /kai: user-data or image changed, so every server is rebuilt and manager-0 starts a NEW swarm/,
      ),
    ]);
  });
});
