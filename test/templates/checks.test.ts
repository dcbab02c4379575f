/**
 * The lab checks (stacks/<lab>/checks/*.sh) under the real dash, against a fake docker
 * (fakes/checks/docker) that answers what a test scripts. Each case feeds the output the docker
 * CLI prints for the exact `--format` the check asks (templates over the Engine API's objects:
 * docker/cli cli/command/{service,task,node}/formatter.go for `service ls`, `service ps` and
 * `node ls`; `docker inspect` and `service inspect` execute the template on the API's swarm.Task
 * and swarm.Service, github.com/moby/moby/api/types/swarm). The scripts are run as the class tool
 * sends them over SSH: plan.ts's planChecks and checkScript, command and stdin.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readChecks } from "../../scripts/checks/lab-checks";
import { checkScript, parseCheckOutput, planChecks } from "../../scripts/checks/plan";
import { stacksDir } from "../../infra/stacks/catalog";
import { requireTool, run } from "./tools";

const FAKES = path.join(__dirname, "fakes");
/** What a check may ask docker: reading the swarm's state, nothing that changes it. */
const READ_ONLY = /^docker (service (ls|ps|inspect)|node (ls|inspect)|network inspect|inspect) /;

let fake: string;
let answers = 0;

beforeAll(() => {
  requireTool("shellcheck", "shellcheck");
  requireTool("dash", "dash");
});

beforeEach(() => {
  fake = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-checks-"));
  fs.mkdirSync(path.join(fake, "answers"));
  fs.writeFileSync(path.join(fake, "calls"), "");
  answers = 0;
  // A manager: `docker node ls` answers (each check asks it first).
  answer("node ls -q", 0, "n0manager0000000000000000\nn1worker000000000000000001\n");
});

afterEach(() => fs.rmSync(fake, { recursive: true, force: true }));

/** The fake's answer to calls whose arguments match `glob`: exit `status`, print `output`. */
function answer(glob: string, status: number, output: string): void {
  answers += 1;
  const name = String(answers).padStart(3, "0");
  fs.writeFileSync(path.join(fake, "answers", name), `${glob}\n${status}\n${output}`);
}

function calls(): string[] {
  return fs.readFileSync(path.join(fake, "calls"), "utf8").split("\n").filter(Boolean);
}

/** Plans `check` of `lab` with `outputs` and runs it as SSH would: dash, as user ubuntu. */
function runCheck(lab: string, check: string, outputs: Record<string, unknown> = {}) {
  const planned = planChecks(readChecks(lab), outputs, { only: [check] });
  if ("error" in planned) throw new Error(planned.error);
  const script = checkScript(planned[0], "ubuntu");
  const result = run("dash", ["-c", script.command], {
    input: script.stdin,
    env: { PATH: `${path.join(FAKES, "checks")}:${FAKES}:/usr/bin:/bin`, FAKE_DIR: fake },
  });
  for (const call of calls()) expect(call).toMatch(READ_ONLY);
  return { ...result, verdict: parseCheckOutput(check, result.stdout) };
}

/** A check's one line: exit 0, exactly one line on stdout, nothing on stderr. */
function expectOneLine(result: ReturnType<typeof runCheck>) {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
  expect(result.stdout.split("\n")).toHaveLength(2);
  expect(JSON.parse(result.stdout)).toEqual(result.verdict);
}

const scripts = ["hostname", "counter", "mediawiki"].flatMap((lab) =>
  fs
    .readdirSync(path.join(stacksDir(), lab, "checks"))
    .filter((f) => f.endsWith(".sh"))
    .map((f) => path.join("stacks", lab, "checks", f)),
);

describe("check scripts", () => {
  it.each(scripts)("%s passes shellcheck as POSIX sh", (file) => {
    const result = run("shellcheck", ["--shell=sh", path.join(stacksDir(), "..", file)]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
      status: 0,
      output: "",
    });
  });

  it("scripts/checks/check-lib.sh (sent before each check) passes shellcheck as POSIX sh", () => {
    const result = run("shellcheck", [
      "--shell=sh",
      path.join(__dirname, "../../scripts/checks/check-lib.sh"),
    ]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
      status: 0,
      output: "",
    });
  });

  it.each(scripts)("%s documents its variables in its header", (file) => {
    const text = fs.readFileSync(path.join(stacksDir(), "..", file), "utf8");
    expect(text).toMatch(/^#\s{3}[A-Z_]+\s{2,}\S/m);
    expect(text).toMatch(/^set -eu$/m);
  });

  it("cannot run off a manager: exit 2, the reason on stderr, no verdict", () => {
    answer("node ls*", 1, "Error response from daemon: This node is not a swarm manager.");
    const result = runCheck("hostname", "spread");
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("spread: docker node ls failed: run the check on a manager");
  });
});

describe("spread", () => {
  const ps =
    "service ps hostname_web --filter desired-state=running --format {{.Node}}|{{.CurrentState}}";

  it("passes when the replicas run on at least MIN_NODES nodes", () => {
    answer(
      ps,
      0,
      "alice-worker-0|Running 2 minutes ago\nalice-worker-1|Running 2 minutes ago\nalice-worker-0|Running 1 minute ago\n",
    );
    const result = runCheck("hostname", "spread");
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "spread",
      status: "pass",
      message:
        "hostname_web runs 3 replicas on 2 nodes (alice-worker-0, alice-worker-1): at least 2, as the lab asks.",
      evidence: {
        service: "hostname_web",
        min_nodes: 2,
        running: 3,
        nodes: { "alice-worker-0": 2, "alice-worker-1": 1 },
      },
    });
  });

  it("fails when every running replica is on one node; tasks not Running do not count", () => {
    answer(
      ps,
      0,
      "alice-worker-0|Running 2 minutes ago\nalice-worker-1|Preparing 3 seconds ago\nalice-worker-0|Running 1 minute ago\n",
    );
    const result = runCheck("hostname", "spread");
    expectOneLine(result);
    expect(result.verdict.status).toBe("fail");
    expect(result.verdict.message).toBe(
      "hostname_web runs 2 replicas on only 1 node(s) (alice-worker-0), and the lab asks for at least 2: scale it up (docker service scale hostname_web=2) and check with docker node ls that enough nodes are Ready and Active.",
    );
  });

  it("fails naming the service when it does not exist", () => {
    answer("service ps*", 1, "no such service: hostname_web");
    const result = runCheck("hostname", "spread");
    expectOneLine(result);
    expect(result.verdict).toMatchObject({
      status: "fail",
      message:
        "The service hostname_web does not exist: deploy its stack first (docker stack ls lists what runs).",
      evidence: { service: "hostname_web", error: "no such service: hostname_web" },
    });
  });
});

describe("converged", () => {
  const ls =
    "service ls --filter label=com.docker.stack.namespace=counter --format {{.Name}} {{.Replicas}}";

  it("passes when every service runs what it wants (a per-node limit shown too)", () => {
    answer(ls, 0, "counter_redis 1/1\ncounter_web 3/3 (max 2 per node)\n");
    const result = runCheck("counter", "converged");
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "converged",
      status: "pass",
      message: "All 2 services of the stack counter run every task they ask for.",
      evidence: { stack: "counter", services: { counter_redis: "1/1", counter_web: "3/3" } },
    });
  });

  it("fails naming the services behind", () => {
    answer(ls, 0, "counter_redis 1/1\ncounter_web 1/3\n");
    const result = runCheck("counter", "converged");
    expectOneLine(result);
    expect(result.verdict.status).toBe("fail");
    expect(result.verdict.message).toBe(
      "The stack counter has not converged: counter_web 1/3 running/wanted. See why with docker service ps counter_web --no-trunc.",
    );
  });

  it("fails when the stack has no services", () => {
    answer(ls, 0, "");
    const result = runCheck("counter", "converged");
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "The stack counter has no services: deploy it first (docker stack ls lists what runs).",
    );
  });
});

describe("rescheduled", () => {
  const nodes = "node ls --format {{.ID}} {{.Hostname}} {{.Status}} {{.Availability}}";
  const ids = "service ps hostname_web -q --no-trunc";
  const inspect = "inspect --format {{.Slot}} {{.NodeID}} {{.DesiredState}} {{.Status.State}} *";
  const ready = "m0 alice-manager-0 Ready Active\nw0 alice-worker-0 Ready Active\n";

  it("passes when the tasks of a Down node run elsewhere", () => {
    answer(nodes, 0, `${ready}w1 alice-worker-1 Down Active\n`);
    answer(ids, 0, "t1\nt2\nt3\nt4\n");
    // Slot 2 ran on worker-1; the swarm shut that task down and started one on worker-0.
    answer(
      inspect,
      0,
      "1 m0 running running\n2 w0 running running\n2 w1 shutdown running\n3 w0 running running\n",
    );
    const result = runCheck("hostname", "rescheduled");
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "rescheduled",
      status: "pass",
      message:
        "hostname_web moved off alice-worker-1 (Down): its 1 task(s) from there run on other nodes now.",
      evidence: {
        service: "hostname_web",
        gone: [{ node: "alice-worker-1", state: "Down", ran_tasks: true }],
        moved: [{ slot: 2, from: "alice-worker-1", to: "alice-worker-0" }],
        waiting: [],
      },
    });
    expect(calls()).toContain(
      "docker inspect --format {{.Slot}} {{.NodeID}} {{.DesiredState}} {{.Status.State}} t1 t2 t3 t4",
    );
  });

  it("counts a drained node and one that left the swarm", () => {
    answer(
      nodes,
      0,
      "m0 alice-manager-0 Ready Active\nw0 alice-worker-0 Ready Drain\nw2 alice-worker-2 Ready Active\n",
    );
    answer(ids, 0, "t1\nt2\nt3\nt4\n");
    answer(
      inspect,
      0,
      "1 w0 shutdown shutdown\n1 w2 running running\n2 gone1234567890abcd shutdown running\n2 m0 running running\n",
    );
    const result = runCheck("hostname", "rescheduled");
    expectOneLine(result);
    expect(result.verdict.status).toBe("pass");
    expect(result.verdict.evidence.moved).toEqual([
      { slot: 1, from: "alice-worker-0", to: "alice-worker-2" },
      { slot: 2, from: "gone12345678", to: "alice-manager-0" },
    ]);
  });

  it("fails when every node is Ready and Active", () => {
    answer(nodes, 0, ready);
    answer(ids, 0, "t1\n");
    answer(inspect, 0, "1 w0 running running\n");
    const result = runCheck("hostname", "rescheduled");
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "Every node is Ready and Active, so nothing had to move: drain a node that runs a task of hostname_web (docker node update --availability drain NODE) or stop it, then run the check again.",
    );
  });

  it("fails while a slot from the lost node has no running task elsewhere", () => {
    answer(nodes, 0, `${ready}w1 alice-worker-1 Down Active\n`);
    answer(ids, 0, "t1\nt2\nt3\n");
    answer(inspect, 0, "1 w0 running running\n2 w1 shutdown running\n2 w0 running starting\n");
    const result = runCheck("hostname", "rescheduled");
    expectOneLine(result);
    expect(result.verdict.status).toBe("fail");
    expect(result.verdict.message).toBe(
      "Slot(s) 2 (was on alice-worker-1) of hostname_web have no running task on another node yet: wait a little and run the check again, or see why with docker service ps hostname_web --no-trunc.",
    );
  });

  it("fails when the drained node never ran a task of the service", () => {
    answer(nodes, 0, `${ready}w1 alice-worker-1 Ready Drain\n`);
    answer(ids, 0, "t1\n");
    answer(inspect, 0, "1 w0 running running\n");
    const result = runCheck("hostname", "rescheduled");
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "No task of hostname_web ever ran on alice-worker-1 (Drain): drain or stop a node that runs one (docker service ps hostname_web shows where they run).",
    );
  });
});

describe("rolling-update", () => {
  const status = "service inspect hostname_web --format {{if .UpdateStatus}}*";
  const ids = "service ps hostname_web -q --no-trunc";
  const inspect =
    "inspect --format {{.Slot}} {{.CreatedAt.UnixMilli}} {{.Status.Timestamp.UnixMilli}} {{.DesiredState}} {{.Status.State}} {{.Spec.ContainerSpec.Image}} *";
  const start = 1764640000000;
  /** "slot created running desired state image", times in seconds after the update started. */
  const task = (
    slot: number,
    created: number,
    at: number,
    desired: string,
    state: string,
    image: string,
  ) => `${slot} ${start + created * 1000} ${start + at * 1000} ${desired} ${state} ${image}\n`;
  const old = [1, 2, 3]
    .map((s) => task(s, -600, -590, "shutdown", "shutdown", "busybox:1.36.1"))
    .join("");

  it("passes when each new task started after the previous one was running", () => {
    answer(status, 0, `completed ${start}`);
    answer(ids, 0, "a\nb\nc\nd\ne\nf\n");
    answer(
      inspect,
      0,
      old +
        task(1, 0, 1.5, "running", "running", "busybox:1.36.2") +
        task(2, 3.6, 5, "running", "running", "busybox:1.36.2") +
        task(3, 7, 8.2, "running", "running", "busybox:1.36.2"),
    );
    const result = runCheck("hostname", "rolling-update");
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "rolling-update",
      status: "pass",
      message:
        "hostname_web was updated one task at a time: its 3 tasks were replaced in turn, each new one running before the next started.",
      evidence: {
        service: "hostname_web",
        update: "completed",
        replaced: [
          { slot: 1, from: "busybox:1.36.1", to: "busybox:1.36.2", started_s: 0, running_s: 1.5 },
          { slot: 2, from: "busybox:1.36.1", to: "busybox:1.36.2", started_s: 3.6, running_s: 5 },
          { slot: 3, from: "busybox:1.36.1", to: "busybox:1.36.2", started_s: 7, running_s: 8.2 },
        ],
      },
    });
  });

  it("fails when slots were replaced together (parallelism above 1)", () => {
    answer(status, 0, `completed ${start}`);
    answer(ids, 0, "a\nb\nc\nd\ne\nf\n");
    answer(
      inspect,
      0,
      old +
        task(1, 0, 1.5, "running", "running", "busybox:1.36.2") +
        task(2, 0.1, 1.6, "running", "running", "busybox:1.36.2") +
        task(3, 4, 5, "running", "running", "busybox:1.36.2"),
    );
    const result = runCheck("hostname", "rolling-update");
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "The update of hostname_web replaced slots 1 and 2 at the same time, not one at a time: set update_config parallelism to 1 (docker service update --update-parallelism 1 hostname_web), update again and run the check again.",
    );
  });

  it("fails when a slot kept its task from before the update", () => {
    answer(status, 0, `completed ${start}`);
    answer(ids, 0, "a\nb\nc\n");
    answer(
      inspect,
      0,
      task(1, -600, -590, "running", "running", "busybox:1.36.1") +
        task(2, 0, 1, "running", "running", "busybox:1.36.2") +
        task(2, -600, -590, "shutdown", "shutdown", "busybox:1.36.1"),
    );
    const result = runCheck("hostname", "rolling-update");
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "The last update of hostname_web did not replace the task(s) of slot(s) 1: roll out a change that touches every task (docker service update --image NEW_IMAGE hostname_web) and run the check again.",
    );
  });

  it.each([
    [
      "",
      "hostname_web has not been updated since it was created: roll out a change (docker service update --image NEW_IMAGE hostname_web) and run the check again when it is done.",
    ],
    [
      `updating ${start}`,
      "The update of hostname_web is still rolling out: run the check again when docker service inspect hostname_web shows it completed.",
    ],
    [
      `rollback_completed ${start}`,
      "The last update of hostname_web did not complete (its state is rollback_completed): docker service inspect hostname_web --format '{{.UpdateStatus.Message}}' says why; fix it and update again.",
    ],
  ])("fails on the update state %j", (state, message) => {
    answer(status, 0, state);
    const result = runCheck("hostname", "rolling-update");
    expectOneLine(result);
    expect(result.verdict).toMatchObject({ status: "fail", message });
  });
});

describe("registry-image", () => {
  const outputs = { registryInternal: "10.0.0.5:5000" };
  const image = "service inspect counter_web --format {{.Spec.TaskTemplate.ContainerSpec.Image}}";

  it("passes for an image of the lab registry (the digest left out of the message)", () => {
    answer(image, 0, "10.0.0.5:5000/counter-web:3f2a9c1e@sha256:0123abcd\n");
    const result = runCheck("counter", "registry-image", outputs);
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "registry-image",
      status: "pass",
      message:
        "counter_web runs 10.0.0.5:5000/counter-web:3f2a9c1e, an image of the lab registry 10.0.0.5:5000.",
      evidence: {
        service: "counter_web",
        registry: "10.0.0.5:5000",
        image: "10.0.0.5:5000/counter-web:3f2a9c1e@sha256:0123abcd",
      },
    });
  });

  it("fails for an image from elsewhere, saying how to push it", () => {
    answer(image, 0, "python:3.12.3-slim\n");
    const result = runCheck("counter", "registry-image", outputs);
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "counter_web runs python:3.12.3-slim, which is not from the lab registry 10.0.0.5:5000: tag the image 10.0.0.5:5000/NAME:TAG, push it (docker push 10.0.0.5:5000/NAME:TAG) and name that image in the service.",
    );
  });

  it("cannot run without the registry address (exit 2, says which variable)", () => {
    const result = runCheck("counter", "registry-image", {});
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("REGISTRY must be the registry address");
  });
});

describe("overlay-mtu", () => {
  const outputs = { overlayMtu: 1450 };
  const net =
    'network inspect counter_default --format {{.Driver}} {{index .Options "com.docker.network.driver.mtu"}}';

  it("passes when the option is the expected MTU (the stack output overlayMtu)", () => {
    answer(net, 0, "overlay 1450\n");
    const result = runCheck("counter", "overlay-mtu", outputs);
    expectOneLine(result);
    expect(result.verdict).toEqual({
      check: "overlay-mtu",
      status: "pass",
      message: "The network counter_default has the MTU option 1450, as the cloud network needs.",
      evidence: {
        network: "counter_default",
        driver: "overlay",
        mtu_option: "1450",
        expected: "1450",
      },
    });
  });

  it("fails on another value", () => {
    answer(net, 0, "overlay 1400\n");
    const result = runCheck("counter", "overlay-mtu", outputs);
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      'The network counter_default has the MTU option 1400, but the lab needs 1450: set driver_opts com.docker.network.driver.mtu: "1450" and deploy again (a network is changed by removing and recreating it).',
    );
  });

  it("fails when no MTU is set (the template prints <no value>)", () => {
    answer(net, 0, "overlay <no value>\n");
    const result = runCheck("counter", "overlay-mtu", outputs);
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      'The network counter_default sets no MTU, so Docker uses 1500: add driver_opts com.docker.network.driver.mtu: "1450" to it and deploy again.',
    );
  });

  it("fails for a network that is not an overlay", () => {
    answer(net, 0, "bridge <no value>\n");
    const result = runCheck("counter", "overlay-mtu", outputs);
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "The network counter_default uses the bridge driver, not overlay: declare it with driver: overlay so that tasks on different nodes can talk.",
    );
  });

  it("fails when the network does not exist", () => {
    answer("network inspect*", 1, "Error response from daemon: network counter_default not found");
    const result = runCheck("counter", "overlay-mtu", outputs);
    expectOneLine(result);
    expect(result.verdict.message).toBe(
      "The network counter_default does not exist: deploy the stack that declares it first (docker network ls lists the networks).",
    );
  });
});
