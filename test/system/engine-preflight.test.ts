/**
 * The local cloud's engine pre-flight against the REAL Docker engine of this machine: the
 * program's own reader (infra/local/engine-api.ts) and decisions (engine-problems.ts), on the
 * engine found as @pulumi/docker finds it (engine-host.ts: DOCKER_HOST, else the default socket).
 * This is what shows that the reader reads what dockerd really answers, where the unit tests
 * feed the decisions the documented shapes.
 *
 * It makes another "stack's" objects: a bridge network with a subnet and a container publishing
 * 127.0.0.1:<port> over TCP and another port over UDP, both carrying the run's labels (harness/run-context.ts) so teardown, and
 * the next run after a crash, find them. Then a plan that wants that subnet and that port must get
 * all three problems (the UDP one through a stack's forwarded port); the same plan under the objects' own owner (a second `up`) none of them.
 */
import * as os from "node:os";
import { readFirstEngine } from "../../infra/local/engine-api";
import { engineTarget } from "../../infra/local/engine-host";
import { engineProblems } from "../../infra/local/engine-problems";
import { labNetworkName } from "../../infra/local/lab-network";
import { OWNER_LABEL } from "../../infra/local/local-node";
import { localSshPort } from "../../infra/config/local-ports";
import { ensureImage, SERVICE_IMAGE } from "./harness/cached-image";
import {
  removeLeftoversOfDeadRuns,
  removeRunResources,
  remainingResources,
} from "./harness/cleanup";
import { dockerOk } from "./harness/docker";
import { labelFlags, newRunContext, RunContext } from "./harness/run-context";

const MINUTE = 60_000;
/** Far from the 10.42.k.0/24 the other scenarios use, which may run beside this one. */
const SUBNET = "10.213.77.0/24";
/** manager-0's SSH port lands on 42222: above what the other scenarios publish. */
const OFFSET = 40_000;
const OWNER = "preflight";
/** A stack's UDP port (a DNS-like service) that lands on 42353/udp at the offset. */
const UDP_PORT = 2353;

let run: RunContext;

beforeAll(async () => {
  await removeLeftoversOfDeadRuns();
  run = newRunContext("engine-preflight", OWNER);
  const image = await ensureImage(SERVICE_IMAGE);
  await dockerOk([
    "network",
    "create",
    ...labelFlags(run),
    "--driver",
    "bridge",
    "--subnet",
    SUBNET,
    labNetworkName(OWNER),
  ]);
  await dockerOk([
    "run",
    "--detach",
    "--name",
    `swarmlab-preflight-${run.id}`,
    ...labelFlags(run),
    "--network",
    labNetworkName(OWNER),
    "--publish",
    `127.0.0.1:${localSshPort(0, OFFSET)}:8080`,
    "--publish",
    `127.0.0.1:${UDP_PORT + OFFSET}:5353/udp`,
    image.tag,
  ]);
}, 10 * MINUTE);

afterAll(async () => {
  if (run === undefined) return;
  await removeRunResources(run);
  expect(await remainingResources(run)).toEqual({
    containers: [],
    volumes: [],
    networks: [],
    loopDevices: [],
  });
}, 5 * MINUTE);

/** The engine's answers, read by the program's reader from the engine the provider would use. */
async function readRealEngine() {
  const target = engineTarget({
    providerConfig: {},
    env: process.env,
    home: os.homedir(),
    platform: process.platform,
  });
  if (!target.readable) throw new Error(`this machine's engine is unreadable: ${target.why}`);
  return readFirstEngine(target.endpoints);
}

function planFor(owner: string) {
  return {
    own: { name: labNetworkName(owner), label: OWNER_LABEL, value: owner },
    cidr: SUBNET,
    managers: 1,
    workers: 0,
    localPortOffset: OFFSET,
    forwarded: [
      {
        what: `the stacks' port ${UDP_PORT}/udp (service dns)`,
        published: UDP_PORT,
        protocol: "udp" as const,
      },
    ],
  };
}

describe("the engine pre-flight on the real Docker engine", () => {
  it("finds the overlapping network and the taken 127.0.0.1 ports (TCP, UDP) of another stack", async () => {
    const facts = await readRealEngine();
    const problems = engineProblems(facts, planFor("alice")).filter(
      (problem) => problem.key !== "workers",
    );
    const port = localSshPort(0, OFFSET);
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          key: "cidr",
          reason: expect.stringContaining(
            `is ${SUBNET}, which overlaps ${SUBNET}, the subnet of the Docker network ` +
              `"${labNetworkName(OWNER)}" on this engine`,
          ),
        },
        {
          key: "localPortOffset",
          reason: expect.stringContaining(
            `puts SSH of manager-0 on 127.0.0.1:${port}, but the container ` +
              `"swarmlab-preflight-${run.id}" already publishes 127.0.0.1:${port}`,
          ),
        },
        {
          key: "localPortOffset",
          reason: expect.stringContaining(
            `puts the stacks' port ${UDP_PORT}/udp (service dns) on 127.0.0.1:` +
              `${UDP_PORT + OFFSET}/udp, but the container "swarmlab-preflight-${run.id}" ` +
              `already publishes 127.0.0.1:${UDP_PORT + OFFSET}/udp`,
          ),
        },
      ]),
    );
    // The engine's memory came back too (GET /info MemTotal): a Linux dockerd reports the host's.
    expect(facts.memTotalBytes).toBeGreaterThan(0.9 * os.totalmem());
  });

  it("passes the same objects for their own stack (a second up)", async () => {
    const problems = engineProblems(await readRealEngine(), planFor(OWNER));
    const mentions = problems.filter(
      (problem) =>
        problem.reason.includes(`"${labNetworkName(OWNER)}"`) ||
        problem.reason.includes(`"swarmlab-preflight-${run.id}"`),
    );
    expect(mentions).toEqual([]);
  });
});
