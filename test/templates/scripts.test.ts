/**
 * The node scripts' logic, run under the real bash with fake docker, cloud-init and sudo (see
 * fakes/). The remote scripts are run exactly as Pulumi and the system test send them: the
 * builders' command and stdin.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NODE_SCRIPT_DIR, nodeEnv as nodeEnvOf } from "../../infra/nodes/cloudinit";
import { nodeSettings } from "../unit/node-settings.fixture";
import {
  autolockOffScript,
  bootstrapScript,
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
  RemoteScript,
  removeNodeScript,
  rotateTokensScript,
} from "../../infra/swarm/remote-scripts";
import { TEMPLATES_DIR } from "../../infra/nodes/templates";
import {
  registryCredentials,
  stackImageScript,
  stackScript,
} from "../../infra/stacks/stack-scripts";
import { stackFilesAssignment } from "../../infra/stacks/stack-files";
import { requireTool, run } from "./tools";

const WORKER_TOKEN =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
const MANAGER_TOKEN =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2";
const LIB = path.join(TEMPLATES_DIR, "lib.sh");

let fake: string;

beforeEach(() => {
  fake = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-fake-"));
  fs.mkdirSync(path.join(fake, "meta"));
  fs.writeFileSync(path.join(fake, "state"), "inactive\n");
  fs.writeFileSync(path.join(fake, "calls"), "");
});

afterEach(() => fs.rmSync(fake, { recursive: true, force: true }));

function put(name: string, content: string): void {
  fs.writeFileSync(path.join(fake, name), content);
}

function calls(): string {
  return fs.readFileSync(path.join(fake, "calls"), "utf8");
}

// The templates' own pauses (wait_until's 3 s poll, the backoffs) are left as on a node: fakes/sleep
// skips them on the clock fakes/date reads, so a loop runs its real schedule to its deadline at
// no cost in time.
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(__dirname, "fakes")}:${process.env.PATH}`,
    HOME: fake,
    FAKE_DIR: fake,
    FAKE_WORKER_TOKEN: WORKER_TOKEN,
    FAKE_MANAGER_TOKEN: MANAGER_TOKEN,
    ...extra,
  };
}

/** As ManagerStep runs it: `secretStdin` (if any), then the script's stdin. */
function runRemote(script: RemoteScript, secretStdin = "") {
  // `bash -s -- ARGS`, as sshd would run the command through the user's shell.
  return run("sh", ["-c", script.command], { input: secretStdin + script.stdin, env: env() });
}

function bash(snippet: string, extra: Record<string, string> = {}) {
  return run("bash", ["-c", `set -euo pipefail; . ${LIB}; ${snippet}`], { env: env(extra) });
}

function runNodeScript(name: string, nodeEnv: Record<string, string>) {
  const envFile = path.join(fake, "node.env");
  fs.writeFileSync(
    envFile,
    Object.entries(nodeEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
  return run("bash", [path.join(TEMPLATES_DIR, name)], {
    env: env({ SWARMLAB_LIB: LIB, SWARMLAB_NODE_ENV: envFile }),
  });
}

describe("the fake clock (fakes/sleep, fakes/date) the template tests run on", () => {
  it("skips a pause at once and moves the clock the templates read by just that much", () => {
    const started = Date.now();
    const result = bash(
      `before=$(date +%s); sleep 900; sleep 0.5; sleep 0.5; echo $(($(date +%s) - before)); date -u +%Y-%m-%dT%H:%M:%SZ`,
    );
    expect(result.status).toBe(0);
    const [elapsed, stamp] = result.stdout.trim().split("\n");
    expect(Number(elapsed)).toBeGreaterThanOrEqual(901);
    expect(Number(elapsed)).toBeLessThanOrEqual(903);
    // The log lines' timestamps read the same clock (whole seconds).
    expect(Date.parse(stamp) - started).toBeGreaterThanOrEqual(900_000);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("refuses what it does not fake instead of guessing", () => {
    const sleep = bash("sleep 1m");
    expect(sleep.status).toBe(2);
    expect(sleep.stderr).toMatch(/fake sleep: expected one number of seconds, got: 1m/);
    const date = bash("date -d tomorrow +%s");
    expect(date.status).toBe(2);
    expect(date.stderr).toMatch(/fake date: only the current time is faked/);
  });
});

describe("lib.sh", () => {
  it("retry stops at the first success", () => {
    const result = bash(
      `n=0; flaky() { n=$((n + 1)); [ "$n" -ge 3 ]; }; retry 5 0 flaky; echo "attempts=$n"`,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("attempts=3\n");
    expect(result.stderr).toMatch(/attempt 2\/5 of 'flaky' failed/);
  });

  it("retry gives up after the attempts with the command's status and a clear message", () => {
    const result = bash(`retry 3 0 sh -c 'exit 7' || echo "status=$?"`);
    expect(result.stdout).toBe("status=7\n");
    expect(result.stderr).toMatch(/giving up after 3 attempts \(last exit status 7\): sh/);
  });

  it("wait_until returns once the condition holds", () => {
    const result = bash(`touch ${fake}/later; wait_until 5 "the file" test -f ${fake}/later`);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/done waiting for the file/);
  });

  it("wait_until fails at the deadline saying what it waited for", () => {
    const started = Date.now();
    const result = bash(`wait_until 1 "a thing that never happens" false || echo "status=$?"`);
    expect(result.stdout).toBe("status=1\n");
    expect(result.stderr).toMatch(/timed out after 1s waiting for a thing that never happens/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("retry logs the command it runs, not its wrappers, and backs off", () => {
    const result = bash(`retry 3 1 as_root timeout 5 sh -c 'exit 3' || echo "status=$?"`);
    expect(result.stdout).toBe("status=3\n");
    expect(result.stderr).toMatch(/attempt 1\/3 of 'sh -c exit 3' failed .*retrying in 1s/);
    expect(result.stderr).toMatch(/attempt 2\/3 of 'sh -c exit 3' failed .*retrying in 2s/);
    expect(result.stderr).not.toMatch(/as_root|timeout/);
  });

  it("backs off exponentially up to a cap", () => {
    const result = bash(`echo "$(next_delay 5) $(next_delay 40) $(next_delay 60)"`);
    expect(result.stdout).toBe("10 60 60\n");
  });

  it("meta fails, with the reason, when cloud-init cannot be queried", () => {
    put("meta/swarm_role", "worker");
    put("query_fails", "");
    const result = bash(`role=$(meta swarm_role) || echo "status=$?"`);
    expect(result.stdout).toBe("status=2\n");
    expect(result.stderr).toMatch(/Missing instance-data file/);
    expect(result.stderr).toMatch(/cannot read the instance metadata/);
  });

  it("meta reads instance metadata and is empty (not an error) when the key is absent", () => {
    put("meta/swarm_role", "worker");
    const result = bash(`echo "role=$(meta swarm_role) token=$(meta swarm_token)"`);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("role=worker token=\n");
  });

  it("die logs with a timestamp and the step name, then exits 1", () => {
    const result = bash(`SWARMLAB_STEP=test-step; die "broken thing"`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ swarmlab\[test-step\]: ERROR: broken thing\n$/,
    );
  });

  it("redact_tokens masks join tokens", () => {
    const result = bash(`echo "invalid join token ${WORKER_TOKEN}" | redact_tokens`);
    expect(result.stdout).toBe("invalid join token SWMTKN-<redacted>\n");
  });
});

describe("verify_key_fingerprint", () => {
  // The keys are made with the real gpg, as lib.sh checks them with it on the node.
  beforeAll(() => requireTool("gpg", "gnupg"));

  /** A fresh signing key, armoured, in FILE; returns its fingerprint. */
  function makeKey(file: string, name: string): string {
    const home = fs.mkdtempSync(path.join(fake, "gnupg-"));
    const gpg = (...args: string[]) =>
      run("gpg", ["--homedir", home, "--batch", "--passphrase", "", ...args]);
    expect(gpg("--quick-gen-key", name, "ed25519", "sign", "never").status).toBe(0);
    fs.writeFileSync(file, gpg("--armor", "--export", name).stdout);
    const listing = gpg("--with-colons", "--fingerprint", name).stdout;
    return /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1] ?? "";
  }

  it("accepts only the one key with the expected fingerprint", () => {
    const key = path.join(fake, "key.asc");
    const other = path.join(fake, "other.asc");
    const fingerprint = makeKey(key, "docker-test");
    const otherFingerprint = makeKey(other, "mallory");
    fs.writeFileSync(
      path.join(fake, "both.asc"),
      fs.readFileSync(key, "utf8") + fs.readFileSync(other, "utf8"),
    );
    const check = (file: string, fpr: string) =>
      bash(`verify_key_fingerprint ${file} ${fpr} && echo ok || echo refused`).stdout.trim();
    expect(check(key, fingerprint)).toBe("ok");
    expect(check(key, otherFingerprint)).toBe("refused");
    expect(check(path.join(fake, "both.asc"), fingerprint)).toBe("refused");
    expect(check(path.join(fake, "missing.asc"), fingerprint)).toBe("refused");
  });

  it("is what docker-install.sh checks Docker's published key with", () => {
    const script = fs.readFileSync(path.join(TEMPLATES_DIR, "docker-install.sh"), "utf8");
    expect(script).toContain("DOCKER_KEY_FINGERPRINT=9DC858229FC7DD38854AE2D88D81803C0EBFCD88");
    expect(script).toMatch(
      /verify_key_fingerprint "\$KEYRING.tmp" "\$DOCKER_KEY_FINGERPRINT" \|\|/,
    );
  });
});

describe("apt_install", () => {
  const aptCalls = () =>
    calls()
      .split("\n")
      .filter((line) => line.startsWith("apt-get"))
      .map((line) => (line.includes(" update") ? "update" : "install"));

  it("retries update and install together until both succeed", () => {
    put("apt_update_failures", "2"); // apt-daily holds the lists lock at first boot
    put("apt_install_failures", "1"); // e.g. "Unable to locate package" after a partial update
    const result = bash("apt_install docker.io");
    expect(result.status).toBe(0);
    expect(aptCalls()).toEqual(["update", "update", "update", "install", "update", "install"]);
    expect(result.stderr).toMatch(/attempt 3 of apt-get update \+ install docker.io failed/);
  });

  it("fails the update on any failing source and waits for the apt locks", () => {
    const result = bash("apt_install docker.io");
    expect(result.status).toBe(0);
    const [update, install] = calls().trim().split("\n");
    expect(update).toMatch(/^apt-get .*-o DPkg::Lock::Timeout=\d+ update --error-on=any$/);
    expect(install).toMatch(
      /-o DPkg::Lock::Timeout=\d+ install --no-install-recommends docker.io$/,
    );
  });

  it("gives up at its deadline, saying what failed", () => {
    put("apt_update_failures", "-1");
    const result = bash("apt_install docker.io", {
      SWARMLAB_APT_DEADLINE_SECONDS: "2",
      SWARMLAB_APT_FIRST_DELAY_SECONDS: "1",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /apt-get update \+ install docker.io still failed after \d attempts in 2s/,
    );
  });

  it("waits at least 300 s by default", () => {
    expect(
      Number(/SWARMLAB_APT_DEADLINE_SECONDS:=(\d+)/.exec(fs.readFileSync(LIB, "utf8"))?.[1]),
    ).toBeGreaterThanOrEqual(300);
  });
});

describe("swarm-bootstrap.sh", () => {
  it("prints only the JSON line of tokens, never the tokens on stderr", () => {
    put("state", "active\n");
    const result = runRemote(bootstrapScript(20));
    expect(result.stderr).not.toContain(WORKER_TOKEN);
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")).toHaveLength(2);
    expect(parseJoinTokens(result.stdout)).toEqual({
      worker: WORKER_TOKEN,
      manager: MANAGER_TOKEN,
      joinAddr: "10.42.0.5:2377",
    });
  });

  it("fails with cloud-init's status when cloud-init failed", () => {
    put("cloud_init_rc", "1");
    const result = runRemote(bootstrapScript(20));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/status: error/);
    expect(result.stderr).toMatch(/cloud-init failed \(cloud-init status exit 1\)/);
  });

  it("fails at its deadline when dockerd hangs, each probe cut by its timeout", () => {
    put("hang", "");
    const script = bootstrapScript(2);
    const started = Date.now();
    const result = run("sh", ["-c", script.command], {
      input: script.stdin,
      env: env({ SWARMLAB_PROBE_TIMEOUT_SECONDS: "1" }),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the swarm is not active on this node/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("fails at the deadline when the swarm never becomes active", () => {
    const result = runRemote(bootstrapScript(1));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the swarm is not active on this node/);
  });
});

describe("swarm-ready.sh", () => {
  const expected = [
    { name: "alice-manager-0", role: "manager" as const, address: "10.42.0.10" },
    { name: "alice-worker-0", role: "worker" as const, address: "10.42.0.11" },
  ];
  // `docker node inspect` rows: hostname, state, availability, manager status, address, raft
  // address (a manager may report 0.0.0.0 as its address); rows() puts the node id first.
  const manager0 = "alice-manager-0|ready|active|leader|0.0.0.0|10.42.0.10:2377";
  const worker0 = "alice-worker-0|ready|active||10.42.0.11|";

  function rows(...lines: string[]): void {
    put("node_rows", lines.map((line, i) => `id${i + 1}|${line}`).join("\n") + "\n");
  }

  it("removes this cluster's Down ghosts (demoting managers), never another owner's", () => {
    rows(
      manager0,
      "alice-manager-0|down|active|unreachable|10.42.0.10|10.42.0.10:2377", // re-created
      worker0,
      "alice-worker-2|down|active||10.42.0.13|", // removed while no manager answered
      "bob-worker-0|down|active||10.42.0.99|",
    );
    const result = runRemote(readyGateScript(expected, 1, [], "alice"));
    const log = calls();
    expect(log).toMatch(/docker node demote id2\ndocker node rm --force id2/);
    expect(log).toContain("docker node rm --force id4");
    expect(log).not.toMatch(/(demote|rm --force) id5/);
    expect(result.stderr).toMatch(/removed alice-worker-2 \(id4\), Down at 10.42.0.13/);
    // Another owner's node is reported, never touched: the gate fails on it.
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/bob-worker-0 is in the swarm at 10.42.0.99 but not expected/);
  });

  it("removes a re-created node's stale records while they still look alive, then passes", () => {
    // Heal after lost VMs (issue 25): the new manager-0 and worker-0 joined at their addresses
    // (their ports outlive the servers) while the managers still see the old entries alive.
    // The last field is when an entry joined (nanoseconds).
    rows(
      "alice-manager-0|ready|active|reachable|10.42.0.10|10.42.0.10:2377|1000", // stale, "alive"
      "alice-manager-0|ready|active|leader|0.0.0.0|10.42.0.10:2377|2000",
      "alice-worker-0|ready|active||10.42.0.11||1000", // stale, "alive"
      "alice-worker-0|unknown|active||10.42.0.11||1500", // stale, heartbeat missed
      "alice-worker-0|ready|active||10.42.0.11||2000",
    );
    const result = runRemote(readyGateScript(expected, 5, [], "alice"));
    expect(result.stderr).toMatch(/removed alice-manager-0 \(id1\), Ready at 10.42.0.10/);
    expect(result.stderr).toMatch(/removed alice-worker-0 \(id4\), Unknown at 10.42.0.11/);
    expect(result.status).toBe(0);
    const log = calls();
    // Demoted before removal, and removed before the gate's success listing.
    expect(log).toMatch(/docker node demote id1\ndocker node rm --force id1\n/);
    const removals = log.split("\n").filter((line) => / node (rm|demote) /.test(line));
    expect(removals).toEqual([
      "docker node demote id1",
      "docker node rm --force id1",
      "docker node rm --force id3",
      "docker node rm --force id4",
    ]);
    expect(log.lastIndexOf("node rm")).toBeLessThan(log.lastIndexOf("docker node ls\n"));
    expect(parseSwarmNodes(result.stdout).map((n) => [n.name, n.managerStatus])).toEqual([
      ["alice-manager-0", "Leader"],
      ["alice-worker-0", ""],
    ]);
  });

  it("never passes while a second entry of an expected node stays, nor removes a live one", () => {
    // The Ready entry is the OLDER one here: the newer one may be the real node still joining.
    rows(
      manager0,
      "alice-worker-0|ready|active||10.42.0.11||1000",
      "alice-worker-0|unknown|active||10.42.0.11||2000",
    );
    const newerNotReady = runRemote(readyGateScript(expected, 1, [], "alice"));
    expect(newerNotReady.status).toBe(1);
    expect(newerNotReady.stderr).toMatch(
      /alice-worker-0 is listed 2 times: a stale record of a re-created node is still there/,
    );
    // A Ready entry at another address may be a live machine: reported, never removed.
    rows(
      manager0,
      "alice-worker-0|ready|active||10.42.0.66||1000",
      "alice-worker-0|ready|active||10.42.0.11||2000",
    );
    const elsewhere = runRemote(readyGateScript(expected, 1, [], "alice"));
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toMatch(/alice-worker-0 is at 10.42.0.66, but this cluster's/);
    expect(calls()).not.toContain("node rm");
  });

  it("removes no Down node without --remove-down, and no expected node that is only Down", () => {
    rows(manager0, "alice-worker-0|down|active||10.42.0.11|");
    const result = runRemote(readyGateScript(expected, 1, [], "alice"));
    expect(result.status).toBe(1);
    expect(calls()).not.toContain("node rm");
    rows(manager0, worker0, "alice-worker-2|down|active||10.42.0.13|");
    expect(runRemote(readyGateScript(expected, 1)).status).toBe(1);
    expect(calls()).not.toContain("node rm");
  });

  it("prints the nodes as JSON once all are Ready with their roles at their addresses", () => {
    rows(manager0, "alice-worker-0|down|active||10.42.0.11|", worker0); // a stale record
    const result = runRemote(readyGateScript(expected, 5));
    expect(result.status).toBe(0);
    expect(parseSwarmNodes(result.stdout)).toEqual([
      {
        name: "alice-manager-0",
        role: "manager",
        state: "Ready",
        availability: "Active",
        managerStatus: "Leader",
      },
      {
        name: "alice-worker-0",
        role: "worker",
        state: "Ready",
        availability: "Active",
        managerStatus: "",
      },
    ]);
    expect(result.stderr).toMatch(/HOSTNAME/);
  });

  it("names missing, wrong-role and unexpected nodes at the deadline", () => {
    rows("alice-manager-0|ready|active||10.42.0.10|", "bob-worker-0|ready|active||10.42.0.99|");
    const result = runRemote(readyGateScript(expected, 1));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/alice-worker-0 is missing from the swarm/);
    expect(result.stderr).toMatch(/alice-manager-0 is a worker, expected a manager/);
    expect(result.stderr).toMatch(/bob-worker-0 is in the swarm at 10.42.0.99 but not expected/);
  });

  it("lets the previous deployment's leaving nodes be at their known addresses, nothing else", () => {
    const worker1 = "alice-worker-1|ready|active||10.42.0.12|"; // drained after the gate
    rows(manager0, worker0, worker1);
    const leaving = runRemote(
      readyGateScript(expected, 5, [{ name: "alice-worker-1", address: "10.42.0.12" }]),
    );
    expect(leaving.status).toBe(0);
    expect(parseSwarmNodes(leaving.stdout).map((n) => n.name)).toEqual([
      "alice-manager-0",
      "alice-worker-0",
    ]);
    expect(leaving.stderr).toMatch(/leaving the swarm after this update .*: alice-worker-1/);

    // A name of this cluster is no pass: only the known nodes of the last deployment leave.
    const unknown = runRemote(readyGateScript(expected, 1));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/alice-worker-1 is in the swarm at 10.42.0.12 but not expected/);
  });

  it("fails a node under an expected name at an unknown address", () => {
    rows(manager0, "alice-worker-0|ready|active||10.42.0.66|");
    const result = runRemote(readyGateScript(expected, 1));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /alice-worker-0 is at 10.42.0.66, but this cluster's alice-worker-0 is at 10.42.0.11/,
    );
  });

  it("fails two Ready nodes with one name, and two Ready nodes at one address", () => {
    rows(manager0, worker0, worker0);
    const twice = runRemote(readyGateScript(expected, 1));
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/alice-worker-0 is in the swarm twice as Ready/);

    rows(manager0, worker0, "alice-worker-1|ready|active||10.42.0.11|");
    const shared = runRemote(
      readyGateScript(expected, 1, [{ name: "alice-worker-1", address: "10.42.0.11" }]),
    );
    expect(shared.status).toBe(1);
    expect(shared.stderr).toMatch(/alice-worker-1 and alice-worker-0 are both Ready at 10.42.0.11/);
  });

  it("waits for managers to be Reachable", () => {
    rows("alice-manager-0|ready|active|unreachable|10.42.0.10|10.42.0.10:2377", worker0);
    const result = runRemote(readyGateScript(expected, 1));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/alice-manager-0 is a manager but Unreachable/);
  });
});

describe("swarm-remove-node.sh", () => {
  it("succeeds when this node is in no swarm (inactive)", () => {
    const result = runRemote(removeNodeScript("alice-worker-1", "worker", 5));
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/this node is in no swarm \(inactive\)/);
  });

  it.each([
    ["locked", "true", /the swarm is locked on this manager .*docker swarm unlock.*swarmUnlockKey/],
    ["error", "false", /the swarm on this manager is 'error'/],
    ["pending", "false", /the swarm on this manager is 'pending'/],
    ["active", "false", /this node is a swarm worker, not a manager/],
  ])(
    "fails, removing nothing, when the swarm here is %s (control %s)",
    (state, control, message) => {
      put("state", `${state}\n`);
      put("control", control);
      put("nodes", "id1 alice-worker-1\n");
      const result = runRemote(removeNodeScript("alice-worker-1", "worker", 5));
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/alice-worker-1 was not removed/);
      expect(calls()).not.toMatch(/node (demote|update|rm)/);
    },
  );

  it("fails when dockerd does not answer in time", () => {
    put("hang", "");
    const started = Date.now();
    const result = run("sh", ["-c", removeNodeScript("alice-worker-1", "worker", 5).command], {
      input: removeNodeScript("alice-worker-1", "worker", 5).stdin,
      env: env({ SWARMLAB_PROBE_TIMEOUT_SECONDS: "1" }),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the swarm on this manager is 'unknown'/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails, without removing it, when a demoted manager stays in the Raft", () => {
    put("state", "active\n");
    put("nodes", "id0 alice-manager-0\nid2 alice-manager-2\n");
    put("raft_id2", "yes");
    put("raft_sticky", "");
    const result = runRemote(removeNodeScript("alice-manager-2", "manager", 1));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /alice-manager-2 \(id2\) is still a Raft member 1s after its demotion, so it was not removed.*docker node demote alice-manager-2/,
    );
    expect(calls()).not.toContain("node rm");
  });

  it("succeeds when the node is already gone", () => {
    put("state", "active\n");
    put("nodes", "id0 alice-manager-0\n");
    const result = runRemote(removeNodeScript("alice-worker-1", "worker", 5));
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/alice-worker-1 is not in the swarm/);
  });

  it("demotes, drains and removes a manager", () => {
    put("state", "active\n");
    put("nodes", "id0 alice-manager-0\nid2 alice-manager-2\n");
    put("raft_id2", "yes");
    const result = runRemote(removeNodeScript("alice-manager-2", "manager", 5));
    expect(result.status).toBe(0);
    const log = calls();
    const order = [
      "node demote id2",
      "node update --availability drain id2",
      "node rm --force id2",
    ].map((c) => log.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe("swarm-rotate-tokens.sh", () => {
  it("rotates both tokens and prints nothing on stdout", () => {
    put("state", "active\n");
    const result = runRemote(rotateTokensScript());
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    expect(fs.readFileSync(path.join(fake, "rotated"), "utf8")).toBe(
      "rotated worker\nrotated manager\n",
    );
  });
});

describe("swarm-autolock-off.sh", () => {
  it("turns autolock off and prints nothing on stdout", () => {
    put("state", "active\n");
    const result = runRemote(autolockOffScript());
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: "" });
    expect(calls()).toContain("docker swarm update --autolock=false\n");
  });
});

describe("swarm-up.sh", () => {
  // OVERLAY_MTU as the user-data gives it on a 1450 network (an OpenStack VXLAN tenant network).
  const { OVERLAY_MTU } = nodeEnvOf(nodeSettings({ mtu: 1450 }));
  const nodeEnv = { OWNER: "alice", OVERLAY_MTU, SWARM_ADDRESS_POOL: "10.20.0.0/16" };

  function joiner(): void {
    put("meta/swarm_init", "false");
    put("meta/swarm_role", "worker");
    put("meta/swarm_advertise_addr", "10.42.0.17");
    put("meta/swarm_join_addr", "10.42.0.5:2377");
    put("meta/swarm_token", WORKER_TOKEN);
  }

  it("initialises the swarm on manager-0, listening on its private address, without leaking the join command; fixes the ingress MTU and labels the node", () => {
    put("meta/swarm_init", "true");
    put("meta/swarm_advertise_addr", "10.42.0.5");
    put("ingress", "");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(WORKER_TOKEN);
    const log = calls();
    expect(log).toContain(
      "docker swarm init --advertise-addr 10.42.0.5 --listen-addr 10.42.0.5:2377 --default-addr-pool 10.20.0.0/16\n",
    );
    expect(log).toContain("docker network rm ingress\n");
    // The network's MTU itself: the overlay driver takes VXLAN's 50 off it (tasks get 1400).
    expect(log).toContain(
      "docker network create --driver overlay --ingress --opt com.docker.network.driver.mtu=1450 ingress\n",
    );
    expect(log).toContain("docker node update --label-add swarmlab.owner=alice nodeself\n");
  });

  it("replaces an ingress network an older swarmlab made at network MTU - 50, and keeps one at the overlay MTU", () => {
    put("state", "active\n");
    put("meta/swarm_init", "true");
    put("meta/swarm_advertise_addr", "10.42.0.5");
    put("ingress", "");
    put("ingress_mtu", "1400\n");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(0);
    expect(calls()).toContain("docker network rm ingress\n");
    expect(calls()).toContain(
      "docker network create --driver overlay --ingress --opt com.docker.network.driver.mtu=1450 ingress\n",
    );
    fs.rmSync(path.join(fake, "calls"));
    const again = runNodeScript("swarm-up.sh", nodeEnv);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(
      "ingress network already has com.docker.network.driver.mtu=1450",
    );
    expect(calls()).not.toMatch(/network (rm|create)/);
  });

  it("joins through the Engine API with the token in the request body, on no command line", () => {
    joiner();
    put("join_ok", "");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(fake, "join_body"), "utf8"))).toEqual({
      ListenAddr: "10.42.0.17:2377",
      AdvertiseAddr: "10.42.0.17",
      RemoteAddrs: ["10.42.0.5:2377"],
      JoinToken: WORKER_TOKEN,
    });
    // `calls` holds the command line of every docker and curl process the script started.
    expect(calls()).toMatch(
      /^curl .*--unix-socket \/var\/run\/docker.sock .*--data-binary @- .*http:\/\/localhost\/swarm\/join$/m,
    );
    expect(calls()).not.toContain(WORKER_TOKEN);
    expect(result.stdout + result.stderr).not.toContain(WORKER_TOKEN);
  });

  it("skips a node that is already in a swarm", () => {
    put("state", "active\n");
    put("meta/swarm_init", "false");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(0);
    expect(calls()).not.toContain("swarm/join");
  });

  it("retries a failing join until its deadline and never logs the token", () => {
    joiner();
    const result = runNodeScript("swarm-up.sh", { ...nodeEnv, SWARM_JOIN_DEADLINE_SECONDS: "1" });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(WORKER_TOKEN);
    expect(result.stderr).toMatch(/failed \(HTTP 400\): .*invalid join token SWMTKN-<redacted>/);
    expect(result.stderr).toMatch(/could not join the swarm at 10.42.0.5:2377 within 1s/);
  }, 30_000);

  it("fails at once when the join metadata is absent (instance data does not change after boot)", () => {
    put("meta/swarm_init", "false");
    put("meta/swarm_advertise_addr", "10.42.0.17");
    const started = Date.now();
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/metadata swarm_join_addr\/swarm_token is absent/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails at once, with the reason, when cloud-init cannot be queried (no manager-0 turns joiner)", () => {
    put("meta/swarm_init", "true");
    put("meta/swarm_advertise_addr", "10.42.0.5");
    put("query_fails", "");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/cannot read the instance metadata/);
    expect(calls()).not.toMatch(/swarm (init|join)/);
  });

  it("fails when the metadata says neither init nor join", () => {
    put("meta/swarm_advertise_addr", "10.42.0.5");
    const result = runNodeScript("swarm-up.sh", nodeEnv);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/metadata swarm_init is '', expected true or false/);
  });

  it("removes the previous server's swarm state from a reused volume once joined", () => {
    joiner();
    put("join_ok", "");
    const dataRoot = path.join(fake, "docker");
    fs.mkdirSync(path.join(dataRoot, "swarm.previous-server", "certificates"), { recursive: true });
    const result = runNodeScript("swarm-up.sh", { ...nodeEnv, DOCKER_DATA_ROOT: dataRoot });
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(dataRoot, "swarm.previous-server"))).toBe(false);
    expect(result.stderr).toMatch(/removed .*swarm.previous-server/);
  });

  it("keeps the previous server's swarm state while the join fails", () => {
    joiner();
    const dataRoot = path.join(fake, "docker");
    fs.mkdirSync(path.join(dataRoot, "swarm.previous-server"), { recursive: true });
    const result = runNodeScript("swarm-up.sh", {
      ...nodeEnv,
      DOCKER_DATA_ROOT: dataRoot,
      SWARM_JOIN_DEADLINE_SECONDS: "1",
    });
    expect(result.status).toBe(1);
    expect(fs.existsSync(path.join(dataRoot, "swarm.previous-server"))).toBe(true);
  }, 30_000);
});

describe("container-firewall.sh", () => {
  const rules = () => fs.readFileSync(path.join(fake, "iptables"), "utf8").trim().split("\n");
  const CHAIN = "SWARMLAB-CONTAINERS";

  it("rejects container traffic to the metadata service and the swarm ports, idempotently", () => {
    put("chains", "FORWARD\nINPUT\nDOCKER-USER\n");
    put("iptables", "FORWARD -j DOCKER-USER\nDOCKER-USER -j RETURN\n");
    for (let i = 0; i < 2; i++) {
      const result = runNodeScript("container-firewall.sh", {});
      expect(result.stderr).toMatch(/containers are kept from 169.254.169.254/);
      expect(result.status).toBe(0);
    }
    const of = (chain: string) => rules().filter((rule) => rule.startsWith(`${chain} `));
    expect(of("INPUT").sort()).toEqual(
      ["br-+", "docker_gwbridge", "docker0"].map((i) => `INPUT -i ${i} -j ${CHAIN}`).sort(),
    );
    expect(of("FORWARD")).toEqual(["FORWARD -j DOCKER-USER"]);
    // First in DOCKER-USER, before any rule of the user's that could accept the traffic.
    expect(of("DOCKER-USER")).toEqual([`DOCKER-USER -j ${CHAIN}`, "DOCKER-USER -j RETURN"]);
    expect(of(CHAIN)).toEqual([
      `${CHAIN} -d 169.254.169.254 -j REJECT`,
      `${CHAIN} -p tcp -m multiport --dports 2377,7946 -j REJECT --reject-with tcp-reset`,
      `${CHAIN} -p udp -m multiport --dports 7946,4789 -j REJECT`,
    ]);
  });

  it("hooks itself into FORWARD when dockerd made no DOCKER-USER chain (iptables: false)", () => {
    put("chains", "FORWARD\nINPUT\n");
    const result = runNodeScript("container-firewall.sh", {});
    expect(result.status).toBe(0);
    expect(rules()).toEqual(
      expect.arrayContaining(["FORWARD -j DOCKER-USER", `DOCKER-USER -j ${CHAIN}`]),
    );
  });
});

describe("storage-prepare.sh", () => {
  it("has nothing to do for overlay2 on the root disk", () => {
    const result = runNodeScript("storage-prepare.sh", {
      STORAGE_DRIVER: "overlay2",
      VOLUME_FILESYSTEM: "",
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/overlay2 on the root disk: nothing to prepare/);
  });

  it("refuses btrfs without a volume", () => {
    const result = runNodeScript("storage-prepare.sh", {
      STORAGE_DRIVER: "btrfs",
      VOLUME_FILESYSTEM: "",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/storage driver btrfs needs a Docker volume/);
  });

  it("is installed where the scripts source lib.sh from", () => {
    expect(fs.readFileSync(path.join(TEMPLATES_DIR, "storage-prepare.sh"), "utf8")).toContain(
      `${NODE_SCRIPT_DIR}/lib.sh`,
    );
  });
});

describe("storage-prepare.sh import_our_pool (a zfs volume found again, e.g. by a replacement server)", () => {
  function importOurPool() {
    const envFile = path.join(fake, "node.env");
    fs.writeFileSync(envFile, "STORAGE_DRIVER=zfs\nVOLUME_FILESYSTEM=zfs\n");
    const script = path.join(TEMPLATES_DIR, "storage-prepare.sh");
    return run("bash", ["-c", `. ${script}; import_our_pool /dev/vdb && echo imported`], {
      env: env({ SWARMLAB_LIB: LIB, SWARMLAB_NODE_ENV: envFile }),
    });
  }

  beforeEach(() => fs.mkdirSync(path.join(fake, "zfs")));

  it("takes over our pool left imported by the server it replaces (another hostid): -f after the label check", () => {
    put("zfs/label", "swarmlab");
    put("zfs/other-host", "");
    const result = importOurPool();
    expect(result.stdout).toBe("imported\n");
    expect(fs.readFileSync(path.join(fake, "zfs", "imported"), "utf8")).toBe("swarmlab\n");
    // The label was read from this device and its partitions only, before anything was forced.
    expect(calls().split("\n").filter(Boolean)).toEqual([
      "zpool import -d /dev/vdb -d /dev/vdb1 -d /dev/vdb9",
      "zpool import -f -d /dev/vdb -d /dev/vdb1 -d /dev/vdb9 swarmlab",
    ]);
  });

  it("forces nothing onto a pool that is not ours", () => {
    put("zfs/label", "tank");
    const result = importOurPool();
    expect(result.status).toBe(1);
    expect(calls()).not.toContain("import -f");
  });

  it("reports no pool on an empty disk, so the caller may create one", () => {
    const result = importOurPool();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
  });
});

describe("lib.sh apt_offers (does apt have the package to install, e.g. Debian 13's docker-cli)", () => {
  function policy(candidate: string): string {
    return `docker-cli:\n  Installed: (none)\n  Candidate: ${candidate}\n  Version table:\n`;
  }

  function offers(): string {
    return bash(`apt_offers docker-cli && echo offered || echo "not offered"`).stdout.trim();
  }

  beforeEach(() => fs.mkdirSync(path.join(fake, "apt")));

  it("offers a package with a candidate version", () => {
    put("apt/policy-docker-cli", policy("26.1.5+dfsg1-9+b9"));
    expect(offers()).toBe("offered");
  });

  it("does not offer a package apt has no candidate for (pinned out, or not in this release)", () => {
    put("apt/policy-docker-cli", policy("(none)"));
    expect(offers()).toBe("not offered");
  });

  it("does not offer a package apt has never heard of (Debian 12, Ubuntu)", () => {
    expect(offers()).toBe("not offered");
  });

  it("does not offer a package on hold", () => {
    put("apt/policy-docker-cli", policy("26.1.5+dfsg1-9+b9"));
    put("apt/selection-docker-cli", "docker-cli\t\t\t\t\thold\n");
    expect(offers()).toBe("not offered");
  });
});

describe("swarm-stack.sh (application stacks)", () => {
  const compose = "services:\n  web:\n    image: busybox:1.36\n";

  it("deploys with images pinned and prints the services once every replica runs", () => {
    put("service_rows", "hostname_web|3/3\n");
    put("service_states", "hostname_web|12|\n");
    const result = runRemote(stackScript("deploy", "hostname", compose, 5));
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('[{"service":"hostname_web","running":3,"wanted":3}]');
    expect(fs.readFileSync(path.join(fake, "deployed.yaml"), "utf8")).toBe(compose);
    expect(calls()).toMatch(
      /docker stack deploy --compose-file \S+ --resolve-image never --prune --with-registry-auth hostname/,
    );
  });

  it("writes the stack's files from the secret stdin beside the compose file, for root only", () => {
    put("service_rows", "files_app|1/1\n");
    put("service_states", "files_app|2|\n");
    const files = [
      { path: "files/0123456789ab/token.txt", content: Buffer.from("s3cret\n") },
      { path: "files/ba9876543210/app.env", content: Buffer.from("A=1\n") },
    ];
    const result = runRemote(
      stackScript("deploy", "files", compose, 5),
      stackFilesAssignment(files),
    );
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.status).toBe(0);
    for (const file of files) {
      const copy = path.join(fake, "deployed-" + file.path);
      expect(fs.readFileSync(copy, "utf8")).toBe(file.content.toString());
      expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    }
    expect(() => stackFilesAssignment([{ path: "../x", content: Buffer.from("") }])).toThrow(
      /not files\/<hash>\/<name>/,
    );
  });

  it("names the service that does not converge and quotes its task errors", () => {
    put("service_rows", "counter_web|1/3\ncounter_redis|1/1\n");
    put("service_states", "counter_web|7|updating\ncounter_redis|3|\n");
    put(
      "service_ps",
      "  counter_web.2 on sam-worker-0: Rejected 2 seconds ago No such image: 10.0.0.1:5000/counter-web:ctx-1\n",
    );
    const result = runRemote(stackScript("deploy", "counter", compose, 1));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not converged: counter_web has 1 of 3 replicas running");
    expect(result.stderr).toContain("No such image: 10.0.0.1:5000/counter-web:ctx-1");
    expect(result.stderr).toMatch(/stack counter did not converge within 1s/);
  });

  it("fails at once when this deploy's update was rolled back", () => {
    put("service_rows", "counter_web|3/3\n");
    put("service_states", "counter_web|6|completed\n");
    put("service_states_after", "counter_web|7|rollback_completed\n");
    put(
      "service_ps",
      "  counter_web.1 on sam-worker-1: Failed 1 second ago task: non-zero exit (1)\n",
    );
    const result = runRemote(stackScript("deploy", "counter", compose, 30));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "service counter_web did not update (state rollback_completed)",
    );
    expect(result.stderr).toContain("non-zero exit (1)");
  });

  it("removes the stack and waits until its networks are gone", () => {
    put("service_rows", "hostname_web|3/3\n");
    put("stack_networks", "hostname_default\n");
    const result = runRemote(stackScript("remove", "hostname", compose, 5));
    expect(result.status).toBe(0);
    expect(calls()).toContain("docker stack rm hostname");
  });

  it("removes again a network dockerd refused while its tasks shut down", () => {
    put("service_rows", "hostname_web|3/3\n");
    put("stack_networks", "hostname_default\n");
    put("network_in_use_once", "");
    const result = runRemote(stackScript("remove", "hostname", compose, 5));
    expect(result.stderr).toMatch(/docker stack rm hostname left something .*trying again/);
    expect(result.status).toBe(0);
    expect(calls().match(/docker stack rm hostname/g)).toHaveLength(2);
  });

  it("fails the removal, naming the stack, while its networks linger past the deadline", () => {
    put("service_rows", "hostname_web|3/3\n");
    put("stack_networks", "hostname_default\n");
    put("networks_linger", "");
    const result = runRemote(stackScript("remove", "hostname", compose, 1));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /stack hostname still has services or networks 1s after docker stack rm/,
    );
  });
});

describe("registry login in the stack scripts (credentials on the step's secret stdin)", () => {
  const credentials = registryCredentials({
    address: "10.42.0.10:5000",
    user: "swarmlab",
    password: "pa ss'word",
  });
  const image = "10.42.0.10:5000/counter-web:ctx-0123456789abcdef";
  const context = [
    { path: "Dockerfile", content: Buffer.from("FROM python:3.12-slim\n") },
    { path: "app/main.py", content: Buffer.from("print('hi')\n") },
  ];

  it("stack-image.sh builds, logs in with the password on stdin, pushes and prints the image", () => {
    const result = runRemote(
      stackImageScript(image, { dockerfile: "Dockerfile", args: {} }, context, 5),
      credentials,
    );
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(image);
    expect(fs.readFileSync(path.join(fake, "login_password"), "utf8")).toBe("pa ss'word");
    const lines = calls().split("\n");
    const order = ["docker build", "docker login", "docker push"].map((call) =>
      lines.findIndex((line) => line.startsWith(call)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).not.toContain(-1);
    expect(calls()).toContain(`docker login --username swarmlab --password-stdin 10.42.0.10:5000`);
    expect(calls()).not.toContain("pa ss");
  });

  it("stack-image.sh builds the file's target stage with its build args", () => {
    const build = {
      dockerfile: "Dockerfile",
      target: "runtime",
      args: { APP_VERSION: "1.4.0", GREETING: "hello world" },
    };
    const result = runRemote(stackImageScript(image, build, context, 5), credentials);
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.status).toBe(0);
    expect(calls()).toMatch(
      /docker build --quiet --file \S+\/Dockerfile --tag \S+ --target runtime --build-arg APP_VERSION=1\.4\.0 --build-arg GREETING=hello world \S+\n/,
    );
  });

  it("stack-image.sh refuses to build without credentials, naming them", () => {
    const result = runRemote(
      stackImageScript(image, { dockerfile: "Dockerfile", args: {} }, context, 5),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no registry credentials given/);
    expect(calls()).not.toContain("docker build");
  });

  it("a refused login fails at its deadline with the registry's answer, never the password", () => {
    put("login_refused", "");
    const result = runRemote(
      stackImageScript(image, { dockerfile: "Dockerfile", args: {} }, context, 1),
      credentials,
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/docker login to 10\.42\.0\.10:5000 failed: .*401 Unauthorized/);
    expect(result.stderr + result.stdout).not.toContain("pa ss");
    expect(calls()).not.toContain("docker push");
  });

  it("swarm-stack.sh deploys logged in when given credentials, and without a login when not", () => {
    put("service_rows", "counter_web|3/3\n");
    put("service_states", "counter_web|4|\n");
    const compose = "services:\n  web:\n    image: 10.42.0.10:5000/counter-web:ctx-1\n";
    const logged = runRemote(stackScript("deploy", "counter", compose, 5), credentials);
    expect(logged.status).toBe(0);
    const lines = calls().split("\n");
    const login = lines.findIndex((line) => line.startsWith("docker login"));
    const deploy = lines.findIndex((line) => line.startsWith("docker stack deploy"));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(deploy);

    fs.writeFileSync(path.join(fake, "calls"), "");
    const plain = runRemote(stackScript("deploy", "counter", compose, 5));
    expect(plain.status).toBe(0);
    expect(calls()).not.toContain("docker login");
  });
});
