/**
 * Benchmark (a report, not a timed assertion): how long one worker takes from power-on to Ready,
 * against five workers booted in parallel, on the same manager. The ratio says how much parallel
 * boots cost on this machine (they share its CPUs and the package mirror); the test only asserts
 * that every node got Ready.
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { testTeardownLeavesNothing } from "./harness/teardown-test";
import { testStackSettings } from "./harness/test-stack";
import { Lab } from "./harness/lab";
import { SwarmCluster } from "./harness/swarm-cluster";

const MINUTE = 60_000;
const PARALLEL_WORKERS = 5;
const LAB_MTU = 1450;
const SETTINGS = testStackSettings("dave", LAB_MTU);

describe("benchmark: one worker vs five workers booted in parallel", () => {
  let lab: Lab;
  let cluster: SwarmCluster;

  beforeAll(async () => {
    // worker-0 boots alone, workers 1..5 together.
    ({ lab, cluster } = await openScenario("benchmark-parallel-boot", 217, {
      settings: SETTINGS,
      managers: 1,
      workers: 1 + PARALLEL_WORKERS,
    }));
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(() => closeScenario(lab), SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "boots, then reports single vs parallel worker boot times",
    async () => {
      await lab.timings.phase("manager-0 boot to swarm active", () => cluster.bootManager0());
      const [manager0, single, ...parallel] = cluster.nodes;

      const singleStart = Date.now();
      await cluster.bootJoiners([single]);
      await cluster.readyGate([manager0, single]);
      const singleMs = Date.now() - singleStart;
      lab.timings.add("1 worker boot to Ready", singleStart, singleStart + singleMs);

      const parallelStart = Date.now();
      await cluster.bootJoiners(parallel);
      const gate = await cluster.readyGate();
      const parallelMs = Date.now() - parallelStart;
      lab.timings.add(
        `${PARALLEL_WORKERS} workers boot to Ready`,
        parallelStart,
        parallelStart + parallelMs,
      );
      lab.timings.note(
        `${PARALLEL_WORKERS} workers boot to Ready`,
        // The target: at most 0.7x the time of booting them one after another.
        `${(parallelMs / singleMs).toFixed(2)}x one worker = ` +
          `${(parallelMs / (PARALLEL_WORKERS * singleMs)).toFixed(2)}x ${PARALLEL_WORKERS} serial boots (target <= 0.70)`,
      );
      expect(gate).toHaveLength(cluster.nodes.length);
    },
    20 * MINUTE,
  );

  testTeardownLeavesNothing(() => lab);
});
