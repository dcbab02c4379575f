/**
 * The lab CA, the Docker API step and the registry in the program, under mocks: secrets stay
 * secret, the steps run after the ready gate, and the outputs a laptop needs are there.
 */
import type { RemoteScript } from "../../infra/swarm/remote-scripts";
import {
  MANAGER_STEP,
  MOCK_PRIVATE_KEY_PEM,
  MOCK_REGISTRY_PASSWORD,
  plaintextPaths,
  ProgramRun,
  recordedState,
  runProgram,
  secretValue,
  swarmStdout,
  names,
  valueOf,
} from "./support/program";

let run: ProgramRun;

/** A step's script: it carries private keys or the password, so it must be sent as a secret. */
function scriptOf(step: { inputs: Record<string, unknown> }): RemoteScript {
  return secretValue(step.inputs.create) as RemoteScript;
}

beforeAll(async () => {
  run = await runProgram(
    { allowedCidrs: JSON.stringify(["203.0.113.0/24"]) },
    "alice",
    swarmStdout(names("alice", 1, 2)),
  );
  if (run.error) throw run.error;
}, 120_000);

describe("the lab CA, Docker API and registry in the program", () => {
  it("makes a CA, the registry's, manager-0's API and the client's certificates", () => {
    const certs = run.ofType("tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name);
    expect(certs.sort()).toEqual(
      [
        "alice-ca-alice-manager-0-api-cert",
        "alice-ca-client-cert",
        "alice-ca-registry-cert",
      ].sort(),
    );
    const csr = run.byName("alice-ca-registry-csr").inputs;
    expect(csr.ipAddresses).toEqual(["10.42.0.10", "203.0.113.10"]);
    expect(csr.dnsNames).toEqual(["registry.swarmlab.internal"]);
    expect(run.byName("alice-ca-cert").inputs.isCaCertificate).toBe(true);
  });

  it("runs the Docker API step and then the registry only after the ready gate", () => {
    const api = run.byName("alice-manager-0-docker-api");
    expect(api.dependsOn).toContain("alice-ready-check");
    // Its own manager only: another manager cannot set up this one's dockerd.
    expect(api.inputs.managers).toEqual(["203.0.113.10"]);
    expect(scriptOf(api).command).toBe("bash -s -- 300");
    const registry = run.byName("alice-registry-deploy");
    expect(registry.dependsOn).toEqual(
      expect.arrayContaining(["alice-ready-check", "alice-manager-0-docker-api"]),
    );
    expect(registry.type).toBe(MANAGER_STEP);
    expect(scriptOf(registry).command).toBe("bash -s -- 600 10.42.0.10:5000 registry:2");
  });

  it("sends every private key and the password only as secrets", () => {
    for (const name of ["alice-registry-deploy", "alice-manager-0-docker-api"]) {
      const stdin = scriptOf(run.byName(name)).stdin;
      expect(stdin).toContain(Buffer.from(MOCK_PRIVATE_KEY_PEM).toString("base64"));
    }
    expect(scriptOf(run.byName("alice-registry-deploy")).stdin).toContain(
      Buffer.from(`user = "swarmlab:${MOCK_REGISTRY_PASSWORD}"\n`).toString("base64"),
    );
    // Nowhere else in plain text: not in a server's metadata or user-data, not in any command.
    // (tls and random resources are left out: under mocks their outputs are not secret, the real
    // providers mark privateKeyPem, result and bcryptHash secret themselves.)
    const keyOrPassword = new RegExp(
      [
        MOCK_REGISTRY_PASSWORD,
        Buffer.from(MOCK_PRIVATE_KEY_PEM).toString("base64"),
        "BEGIN PRIVATE KEY",
      ].join("|"),
    );
    const leaks = run.resources
      .filter((r) => !r.type.startsWith("tls:") && !r.type.startsWith("random:"))
      .flatMap((r) => plaintextPaths(recordedState(r), keyOrPassword).map((p) => `${r.name} ${p}`));
    expect(leaks).toEqual([]);
    expect(run.byName("alice-registry-password").inputs).toMatchObject({
      length: 32,
      special: false,
    });
  });

  it("exports the laptop's outputs, the password and the client key as secrets", async () => {
    const { exports, pulumi } = run;
    const out = (key: string) => exports[key] as import("@pulumi/pulumi").Output<unknown>;
    expect(await pulumi.isSecret(out("registryPassword") as never)).toBe(true);
    expect(await pulumi.isSecret(out("clientKey") as never)).toBe(true);
    expect(await pulumi.isSecret(out("caCertificate") as never)).toBe(false);
    expect(await valueOf(out("registry"))).toBe("203.0.113.10:5000");
    expect(await valueOf(out("registryInternal"))).toBe("10.42.0.10:5000");
    expect(await valueOf(out("registryUser"))).toBe("swarmlab");
    expect(await valueOf(out("dockerHost"))).toBe("tcp://203.0.113.10:2376");
  });
});
