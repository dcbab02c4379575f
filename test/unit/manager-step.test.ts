/**
 * ManagerStep's provider functions, run for real over SSH against in-process ssh2 servers on
 * loopback addresses (127.0.0.2, .3, ...): the fallback order, the bounded skip on delete, the
 * refresh, and what diff asks of the engine. Also: the provider survives Pulumi's closure
 * serializer, as the program registers it, and the deserialized copy still runs.
 */
import { managerStepProvider } from "../../infra/swarm/manager-step-provider";
import type {
  ManagerStepInputs,
  ManagerStepOutputs,
} from "../../infra/swarm/manager-step-provider";
import { deleteReachSeconds, TEARDOWN_BUDGET_SECONDS } from "../../infra/swarm/swarm";
import {
  ANSWERING,
  FakeManagers,
  NO_ANSWER_DEADLINES,
  REFUSING,
  SILENT,
  startFakeManagers,
  stepInputs,
} from "./support/fake-managers";
import {
  MANAGER_STEP,
  mockHostKeyFingerprint,
  MOCK_TOKENS,
  names,
  runProgram,
  swarmStdout,
  valueOf,
} from "./support/program";

let fake: FakeManagers;
let seen: string[];

beforeAll(async () => {
  fake = await startFakeManagers(22_000 + (process.pid % 20_000));
  seen = fake.seen;
});

afterAll(() => fake.close());

beforeEach(() => (seen.length = 0));

function inputs(managers: string[], extra: Partial<ManagerStepInputs> = {}): ManagerStepInputs {
  return stepInputs(fake, managers, extra);
}

describe("ManagerStep's provider over SSH", () => {
  it("runs on the first manager that answers, in the order given", async () => {
    const result = await managerStepProvider.create(
      inputs([REFUSING, SILENT, ANSWERING[1], ANSWERING[0]]),
    );
    expect(result.outs.answeredBy).toBe(ANSWERING[1]);
    expect(result.outs.stdout).toBe(`${ANSWERING[1]} ran create with in\n`);
    expect(seen).toEqual([`${ANSWERING[1]} create`]);
    const first = await managerStepProvider.create(inputs([ANSWERING[0], ANSWERING[1]]));
    expect(first.outs.answeredBy).toBe(ANSWERING[0]);
  });

  it("fails a create when no manager answers, naming what was tried and allowedCidrs", async () => {
    const started = Date.now();
    const unanswered = inputs([REFUSING, SILENT], NO_ANSWER_DEADLINES);
    await expect(managerStepProvider.create(unanswered)).rejects.toThrow(
      /test step \(t\): no manager answered SSH within 1 s \(127\.0\.0\.4: .*ECONNREFUSED.*; 127\.0\.0\.5: .*\).*allowedCidrs/,
    );
    // The deadline and the last attempt's connect timeout, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(1000 + 5000);
  });

  it("skips at once when it has no manager to ask (first deployment)", async () => {
    const warn = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const started = Date.now();
    const result = await managerStepProvider.create(inputs([], { whenUnreachable: "skip" }));
    expect(result.outs).toMatchObject({ skipped: true, answeredBy: "", stdout: "" });
    expect(Date.now() - started).toBeLessThan(1000);
    warn.mockRestore();
  });

  it("skips a delete within its bound when no manager answers, with a warning naming it", async () => {
    const warn = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const started = Date.now();
    const props = {
      ...inputs([REFUSING, SILENT], NO_ANSWER_DEADLINES),
      delete: { command: "rm", stdin: "" },
    };
    const outcome = await managerStepProvider.delete("id", props as ManagerStepOutputs);
    expect(Date.now() - started).toBeLessThan(1000 + 3000);
    expect(outcome).toMatchObject({ skipped: true, answeredBy: "" });
    expect(outcome.warning).toMatch(/^test step \(t\): no manager answered SSH within 1 s/);
    expect(outcome.warning).toMatch(/skipped its delete step/);
    expect(warn).toHaveBeenCalledWith(`warning: ${outcome.warning}`);
    warn.mockRestore();
  });

  it("runs the delete script on the first manager that answers", async () => {
    const props = { ...inputs([REFUSING, ANSWERING[0]]), delete: { command: "rm", stdin: "" } };
    const outcome = await managerStepProvider.delete("id", props as ManagerStepOutputs);
    expect(outcome).toEqual({ skipped: false, answeredBy: ANSWERING[0] });
    expect(seen).toEqual([`${ANSWERING[0]} rm`]);
  });

  it("fails on the script's exit with its stderr, never its secret stdout", async () => {
    const failing = inputs([ANSWERING[0]], {
      create: { command: "fail", stdin: "" },
      secretStdout: true,
    });
    const error = await managerStepProvider.create(failing).catch((e: Error) => e);
    expect(String(error)).toMatch(/the script exited 3 on manager 127\.0\.0\.2/);
    expect(String(error)).toMatch(/it broke/);
    expect(String(error)).not.toContain("SECRET-OUTPUT");
  });

  it("feeds the secret stdin before the script's; a new secret runs the script again", async () => {
    const step = inputs([ANSWERING[0]], { secretStdin: "PASSWORD=s3cret\n" });
    const created = await managerStepProvider.create(step);
    expect(created.outs.stdout).toBe(`${ANSWERING[0]} ran create with PASSWORD=s3cret\nin\n`);
    const old = { ...(created.outs as ManagerStepOutputs) };
    seen.length = 0;
    expect((await managerStepProvider.update("id", old, step)).outs).toMatchObject({
      stdout: old.stdout,
    });
    expect(seen).toEqual([]);
    const rotated = { ...step, secretStdin: "PASSWORD=n3w\n" };
    expect(await managerStepProvider.diff("id", old, rotated)).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect((await managerStepProvider.update("id", old, rotated)).outs).toMatchObject({
      stdout: `${ANSWERING[0]} ran create with PASSWORD=n3w\nin\n`,
    });
  });

  it("re-reads on refresh; keeps what it had when no manager answers", async () => {
    const warn = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const old = {
      ...inputs([REFUSING, ANSWERING[1]]),
      read: { command: "read", stdin: "again" },
      stdout: "old",
      stderr: "",
      answeredBy: ANSWERING[0],
      skipped: false,
    };
    const fresh = await managerStepProvider.read("id", old);
    expect(fresh.props).toMatchObject({
      stdout: `${ANSWERING[1]} ran read with again\n`,
      answeredBy: ANSWERING[1],
    });
    // Unreachable is not gone: everything read before is kept, who answered included.
    const unreachable = { ...old, managers: [REFUSING], ...NO_ANSWER_DEADLINES };
    const lost = await managerStepProvider.read("id", unreachable);
    expect(lost.props).toEqual(unreachable);
    warn.mockRestore();
  });

  it("diff: triggers replace (delete first), scripts re-run, addresses only update", async () => {
    const base = inputs([ANSWERING[0]]);
    const old = { ...base, stdout: "x", stderr: "", answeredBy: ANSWERING[0], skipped: false };
    expect(await managerStepProvider.diff("id", old, { ...base, triggers: ["new-id"] })).toEqual({
      changes: true,
      replaces: ["triggers"],
      deleteBeforeReplace: true,
    });
    const moved = { ...base, managers: [ANSWERING[1]] };
    expect(await managerStepProvider.diff("id", old, moved)).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(await managerStepProvider.diff("id", old, base)).toMatchObject({ changes: false });
    // An update that only moved the addresses runs nothing and keeps the output.
    expect((await managerStepProvider.update("id", old, moved)).outs).toMatchObject({
      stdout: "x",
      managers: [ANSWERING[1]],
    });
    expect(seen).toEqual([]);
    const rerun = await managerStepProvider.update("id", old, {
      ...moved,
      create: { command: "create", stdin: "v2" },
    });
    expect(rerun.outs).toMatchObject({ stdout: `${ANSWERING[1]} ran create with v2\n` });
  });
});

describe("the teardown budget", () => {
  it.each([1, 3, 5, 7])(
    "%i managers: the serial manager deletes stay within 60 s with every manager gone",
    (managers) => {
      const perStep = deleteReachSeconds(managers);
      expect(perStep).toBeGreaterThanOrEqual(5);
      expect(perStep).toBeLessThanOrEqual(20);
      // Manager memberships are deleted one after another; workers' run beside them. The last
      // connection attempt may run up to ~2 s past a step's deadline.
      const serial = Math.max(1, managers - 1);
      expect(serial * perStep).toBeLessThanOrEqual(TEARDOWN_BUDGET_SECONDS);
      expect(serial * (perStep + 2)).toBeLessThanOrEqual(60);
    },
  );
});

describe("ManagerStep as the program registers it", () => {
  it("serialises its provider with Pulumi's closure serializer, and the copy runs", async () => {
    const run = await runProgram({ allowedCidrs: '["203.0.113.0/24"]' }, "sam", {
      "-tokens": () => JSON.stringify({ ...MOCK_TOKENS, joinAddr: "10.42.0.10:2377" }),
      "-check": () => "[]",
    });
    if (run.error !== undefined) throw run.error;
    const gate = run.byName("sam-ready-check");
    expect(gate.type).toBe(MANAGER_STEP);
    const serialized = gate.inputs.__provider as string;
    expect(typeof serialized).toBe("string");
    expect(serialized).toContain('require("ssh2")');
    // As the dynamic provider host loads it (require-from-string, then handler()).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const requireFromString = require("require-from-string") as (code: string) => {
      handler: () => typeof managerStepProvider;
    };
    const provider = requireFromString(serialized).handler();
    const result = await provider.create(inputs([REFUSING, ANSWERING[0]]));
    expect(result.outs.answeredBy).toBe(ANSWERING[0]);
  }, 120_000);
});

describe("host-key pins as the program wires them", () => {
  it("pins each manager, keyed on its server id, before any step asks it", async () => {
    const run = await runProgram(
      { allowedCidrs: '["203.0.113.0/24"]', managers: "3", workers: "1" },
      "hana",
      swarmStdout(names("hana", 3, 1)),
    );
    if (run.error !== undefined) throw run.error;
    const managers = [0, 1, 2].map((i) => `hana-manager-${i}`);
    const pins = managers.map((server) => run.byName(`${server}-host-key`));
    const ips = run.byName("hana-ready-check").inputs.managers as string[];
    expect(ips).toHaveLength(3);
    const pinOf = (i: number) => ({
      server: managers[i],
      fingerprint: mockHostKeyFingerprint(run.byName(`${managers[i]}-server`).id),
      pin: `urn:pulumi:hana::swarmlab::swarmlab:cluster:SwarmCluster$pulumi-nodejs:dynamic:Resource::${managers[i]}-host-key`,
    });
    pins.forEach((pin, i) => {
      expect(pin.type).toBe(MANAGER_STEP);
      // Keyed on the server id: a new server is pinned anew (host-key-pin-provider.ts's diff).
      expect(pin.inputs).toMatchObject({
        server: managers[i],
        serverId: run.byName(`${managers[i]}-server`).id,
        address: ips[i],
        port: 22,
      });
    });
    // The first contact waits for the server, its floating IP and the SSH rules (and for
    // manager-0 the reachability check, which names allowedCidrs).
    expect(pins[0].dependsOn).toEqual(
      expect.arrayContaining(["hana-manager-0-server", "hana-ssh-reachable"]),
    );
    expect(pins[0].dependsOn.some((d) => d.includes("ssh"))).toBe(true);

    // The bootstrap asks manager-0 alone, with its pin; later steps have every manager's.
    const bootstrap = run.byName("hana-bootstrap-tokens");
    expect(bootstrap.inputs.hostKeys).toEqual({ [ips[0]]: pinOf(0) });
    expect(bootstrap.dependsOn).toContain("hana-manager-0-host-key");
    const all = Object.fromEntries(ips.map((ip, i) => [ip, pinOf(i)]));
    expect(run.byName("hana-ready-check").inputs.hostKeys).toEqual(all);
    // A node is removed through the other managers only: their pins, not its own.
    const others = Object.fromEntries(Object.entries(all).filter(([ip]) => ip !== ips[1]));
    expect(run.byName("hana-manager-1-membership").inputs.hostKeys).toEqual(others);
    // First deployment: the survivors step has this deployment's pins (nothing waits for it).
    expect(run.byName("hana-survivors").inputs.hostKeys).toEqual(all);
    // Every step that talks SSH has a pin for each manager it may try (the other dynamic
    // resources, pins and the manager-count guard, talk to no manager).
    const sshSteps = run.ofType(MANAGER_STEP).filter((r) => Array.isArray(r.inputs.managers));
    expect(sshSteps.length).toBeGreaterThan(8);
    for (const step of sshSteps) {
      const keys = Object.keys(step.inputs.hostKeys as object);
      expect({ step: step.name, keys }).toEqual({ step: step.name, keys: step.inputs.managers });
    }
    // The next deployment's survivors read them from the stack output.
    expect(await valueOf(run.exports.hostKeys)).toEqual(all);
  }, 120_000);
});
