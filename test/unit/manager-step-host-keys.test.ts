/**
 * Host keys (issue 24, item 2): ManagerStep checks every manager's SSH host key against its pin
 * before it authenticates or sends anything, and HostKeyPin takes that pin at first contact,
 * bound to the server id. Both run for real: over SSH to in-process ssh2 servers with their own
 * host keys (support/fake-managers.ts), and through the SDK's own dynamic-provider host with the
 * code the SDK serialises (support/dynamic-host.ts), as under `pulumi up`. The fake servers count
 * what reaches them after the key exchange: authentication requests, execs, channel bytes.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fingerprintOfPublicKeyLine } from "../../infra/swarm/host-key-check";
import { hostKeyPinProvider, sshFingerprint } from "../../infra/swarm/host-key-pin-provider";
import type { HostKeyPinInputs } from "../../infra/swarm/host-key-pin-provider";
import { hostKeyFingerprint, managerStepProvider } from "../../infra/swarm/manager-step-provider";
import {
  DynamicHost,
  serialisedProvider,
  serialiseProviders,
  startDynamicHost,
} from "./support/dynamic-host";
import {
  ANSWERING,
  ed25519KeyPair,
  FakeManagers,
  REFUSING,
  startFakeManagers,
  stepInputs,
} from "./support/fake-managers";

const STEP_PROVIDER = path.join(__dirname, "../../infra/swarm/manager-step-provider.ts");
const PIN_PROVIDER = path.join(__dirname, "../../infra/swarm/host-key-pin-provider.ts");

let fake: FakeManagers;
let host: DynamicHost;

beforeAll(async () => {
  // The providers' code is serialised in one child process while the host starts in another.
  [fake, host] = await Promise.all([
    startFakeManagers(52_000 + (process.pid % 8_000)),
    startDynamicHost(),
    serialiseProviders([
      [STEP_PROVIDER, "managerStepProvider"],
      [PIN_PROVIDER, "hostKeyPinProvider"],
    ]).then(() => undefined),
  ]);
}, 60_000);

afterAll(() => {
  host?.stop();
  fake?.close();
});

beforeEach(() => {
  fake.seen.length = 0;
  fake.received.authentications.length = 0;
  fake.received.channelBytes = 0;
});

/** ANSWERING[0] pinned with ANSWERING[1]'s fingerprint: what a swapped server looks like. */
function wrongPinFor0() {
  return {
    ...fake.hostKeys,
    [ANSWERING[0]]: { ...fake.hostKeys[ANSWERING[0]], fingerprint: seenOf(1) },
  };
}

function seenOf(i: number): string {
  return fake.hostKeys[ANSWERING[i]].fingerprint;
}

/** What reached the fake managers beyond the handshake. */
function reached() {
  return { execs: [...fake.seen], ...fake.received };
}

const NOTHING = { execs: [], authentications: [], channelBytes: 0 };

describe("the fingerprint", () => {
  it("is OpenSSH's (ssh-keygen -l), in both providers' copies", () => {
    const pair = ed25519KeyPair("k");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostkey-"));
    const file = path.join(dir, "key.pub");
    fs.writeFileSync(file, `${pair.public}\n`);
    // `256 SHA256:... k (ED25519)`
    const keygen = execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).split(
      " ",
    )[1];
    fs.rmSync(dir, { recursive: true });
    const blob = Buffer.from(pair.public.split(" ")[1], "base64");
    expect(keygen).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(sshFingerprint(blob)).toBe(keygen);
    expect(hostKeyFingerprint(blob)).toBe(keygen);
    expect(fingerprintOfPublicKeyLine(pair.public)).toBe(keygen);
  });
});

describe("ManagerStep verifies host keys", () => {
  it("runs where the key matches its pin", async () => {
    const result = await managerStepProvider.create(stepInputs(fake, [ANSWERING[0]]));
    expect(result.outs.answeredBy).toBe(ANSWERING[0]);
    expect(fake.seen).toEqual([`${ANSWERING[0]} create`]);
  });

  it("fails on a wrong key before any authentication, exec or stdin, and tries no other manager", async () => {
    const step = stepInputs(fake, [ANSWERING[0], ANSWERING[1]], {
      hostKeys: wrongPinFor0(),
      secretStdin: "REGISTRY_PASSWORD=s3cret\n",
    });
    const error = await managerStepProvider.create(step).catch((e: Error) => e);
    expect(String(error)).toContain(
      `test step (t): manager fake-manager-0 (${ANSWERING[0]}) showed SSH host key ` +
        `${seenOf(0)}, but the key pinned for that server is ${seenOf(1)}.`,
    );
    expect(String(error)).toContain("no other manager was tried");
    expect(String(error)).toContain("pulumi up --refresh");
    expect(String(error)).toContain(`pulumi up --replace '${fake.hostKeys[ANSWERING[0]].pin}'`);
    expect(String(error)).not.toContain("s3cret");
    // Not even the client key's signature: the check is in the key exchange.
    expect(reached()).toEqual(NOTHING);
  });

  it("fails a refresh the same way; a delete skips that manager with a warning, sending it nothing", async () => {
    const warn = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const props = {
      ...stepInputs(fake, [ANSWERING[0]], { hostKeys: wrongPinFor0() }),
      delete: { command: "rm", stdin: "" },
      read: { command: "read", stdin: "" },
      stdout: "",
      stderr: "",
      answeredBy: "",
      skipped: false,
    };
    await expect(managerStepProvider.read("id", props)).rejects.toThrow(/showed SSH host key/);
    // The state's pins may predate a replacement Pulumi just made behind that address.
    const alone = await managerStepProvider.delete("id", props);
    expect(alone).toMatchObject({ skipped: true, answeredBy: "" });
    expect(alone.warning).toContain(
      `${ANSWERING[0]}: showed host key ${seenOf(0)}, not the pinned ${seenOf(1)}`,
    );
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining(`manager ${ANSWERING[0]} showed SSH host key ${seenOf(0)}`),
    );
    expect(reached()).toEqual(NOTHING);
    // With another manager whose key matches, the delete runs there.
    const both = await managerStepProvider.delete("id", {
      ...props,
      managers: [ANSWERING[0], ANSWERING[1]],
    });
    expect(both).toEqual({ skipped: false, answeredBy: ANSWERING[1] });
    expect(fake.seen).toEqual([`${ANSWERING[1]} rm`]);
    const askedBy = new Set(fake.received.authentications.map((a) => a.split(" ")[0]));
    expect([...askedBy]).toEqual([ANSWERING[1]]);
    warn.mockRestore();
  });

  it("tries only managers it has a pin for, and says which had none", async () => {
    const onlyOne = { [ANSWERING[1]]: fake.hostKeys[ANSWERING[1]] };
    const result = await managerStepProvider.create(
      stepInputs(fake, [ANSWERING[0], ANSWERING[1]], { hostKeys: onlyOne }),
    );
    expect(result.outs.answeredBy).toBe(ANSWERING[1]);
    // ssh2 asks "none" first, then offers the key: all of it to the pinned manager only.
    const askedBy = new Set(fake.received.authentications.map((a) => a.split(" ")[0]));
    expect([...askedBy]).toEqual([ANSWERING[1]]);

    fake.seen.length = 0;
    const started = Date.now();
    const none = stepInputs(fake, [ANSWERING[0]], { hostKeys: {} });
    await expect(managerStepProvider.create(none)).rejects.toThrow(
      `no manager answered SSH within 3 s (${ANSWERING[0]}: no pinned host key (its HostKeyPin has not run yet))`,
    );
    // Nothing to wait for: no pinned manager can come up later within this step.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.seen).toEqual([]);
  });

  it("through the SDK's dynamic-provider host: the serialised code refuses the wrong key too", async () => {
    const code = serialisedProvider(STEP_PROVIDER, "managerStepProvider");
    const news = {
      ...stepInputs(fake, [ANSWERING[0]], {
        hostKeys: wrongPinFor0(),
        secretStdin: "REGISTRY_PASSWORD=s3cret\n",
      }),
      __provider: code,
    } as Record<string, unknown>;
    const checked = await host.check({}, news);
    await expect(host.create(checked)).rejects.toThrow(
      new RegExp(`showed SSH host key ${seenOf(0).replace(/[+/]/g, "\\$&")}`),
    );
    expect(reached()).toEqual(NOTHING);

    const right = await host.create({ ...checked, hostKeys: fake.hostKeys });
    expect(right.properties).toMatchObject({ answeredBy: ANSWERING[0] });
  }, 60_000);
});

describe("HostKeyPin", () => {
  function pinInputs(extra: Partial<HostKeyPinInputs> = {}): HostKeyPinInputs {
    return {
      server: "fake-manager-0",
      serverId: "server-id-1",
      address: ANSWERING[0],
      port: fake.port,
      reachTimeoutSeconds: 3,
      connectTimeoutSeconds: 1,
      ...extra,
    };
  }

  it("pins the key at first contact, sending nothing but the handshake; its id is the server id", async () => {
    const code = serialisedProvider(PIN_PROVIDER, "hostKeyPinProvider");
    const checked = await host.check({}, { ...pinInputs(), __provider: code });
    const created = await host.create(checked);
    expect(created.id).toBe("server-id-1");
    expect(created.properties.fingerprint).toBe(seenOf(0));
    expect(reached()).toEqual(NOTHING);

    // A second `up`: no change. A new server (new id): replaced, so it is pinned anew.
    expect(await host.diff(created.id, created.properties, checked)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: true,
    });
    const replacedServer = { ...checked, serverId: "server-id-2" };
    expect(await host.diff(created.id, created.properties, replacedServer)).toEqual({
      changes: "some",
      replaces: ["serverId"],
      deleteBeforeReplace: true,
    });
    // Another address for the same server keeps the pin (the key is the server's).
    const moved = { ...checked, address: ANSWERING[1] };
    expect(await host.diff(created.id, created.properties, moved)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: true,
    });
    expect((await host.update(created.id, created.properties, moved)).fingerprint).toBe(seenOf(0));
    // A refresh never re-pins: it would accept whatever key is shown then.
    const refreshed = await host.read(created.id, created.properties, checked);
    expect(refreshed.properties.fingerprint).toBe(seenOf(0));
    expect(reached()).toEqual(NOTHING);
  }, 60_000);

  it("fails within its deadline when no sshd answers, naming the server and allowedCidrs", async () => {
    const started = Date.now();
    // The shortest deadline (as NO_ANSWER_DEADLINES): what is asserted does not depend on it.
    const unanswered = pinInputs({ address: REFUSING, reachTimeoutSeconds: 1 });
    await expect(hostKeyPinProvider.create(unanswered)).rejects.toThrow(
      /host key pin of fake-manager-0: its sshd at 127\.0\.0\.4:\d+ showed no host key within 1 s .*allowedCidrs/,
    );
    expect(Date.now() - started).toBeLessThan(1000 + 5000);
  });
});
