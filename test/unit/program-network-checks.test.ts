/**
 * Cloud prerequisites of an existing network that the preview can check (issue 22, item 10):
 * a network with no router has no floating IPs and, unless the cloud serves isolated metadata,
 * no metadata service for cloud-init. Neutron is mock-cloud.ts's: `getPortIds` lists a router
 * interface port on every existing network but "isolated-net", as Neutron's port list filtered by
 * network and device_owner would (a project member sees only ports it may see).
 */
import { names, nextDeployment, runProgram, swarmStdout } from "./support/program";

const ALLOWED = JSON.stringify(["203.0.113.0/24"]);

async function warningsOf(network: string): Promise<string[]> {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    const run = await runProgram(
      { allowedCidrs: ALLOWED, network, workers: "1" },
      "ola",
      swarmStdout(names("ola", 1, 1)),
      { preview: true },
    );
    if (run.error !== undefined) throw run.error;
    return warn.mock.calls.map((call) => String(call[0]));
  } finally {
    warn.mockRestore();
  }
}

describe("an existing network", () => {
  it("without a router warns at preview, naming floating IPs, the metadata service and the fix", async () => {
    expect(await warningsOf("isolated-net")).toEqual([
      expect.stringMatching(
        /swarmlab:network "isolated-net" has no router port that this project can see\. Without a router the managers' floating IPs cannot be associated.*metadata.*`openstack router add subnet ROUTER SUBNET`/,
      ),
    ]);
  });

  it("with a router on it warns about nothing", async () => {
    expect(await warningsOf("course-net")).toEqual([]);
  });
});

describe("swarmlab:configDrive, for a network without a metadata service", () => {
  const SERVER = "openstack:compute/instance:Instance";
  const keys = { allowedCidrs: ALLOWED, network: "isolated-net", workers: "1" };

  it("is sent to no server by default, so clusters made before the option see no diff", async () => {
    const run = await runProgram(keys, "ola", swarmStdout(names("ola", 1, 1)));
    expect(run.ofType(SERVER).map((s) => s.inputs.configDrive)).toEqual([undefined, undefined]);
  });

  it("gives every server a config drive, and turning it on is a rebuild the preview says", async () => {
    const first = await runProgram(keys, "ola", swarmStdout(names("ola", 1, 1)));
    const { run, warnings } = await nextDeployment(
      first,
      "ola",
      { ...keys, configDrive: "true" },
      swarmStdout(names("ola", 1, 1)),
      { preview: true },
    );
    expect(run.ofType(SERVER).map((s) => [s.inputs.configDrive, s.step])).toEqual([
      [true, "replace"],
      [true, "replace"],
    ]);
    expect(warnings).toContainEqual(expect.stringMatching(/NEW swarm/));
  });

  it("is true or false, nothing else: the engine refuses it before the program runs", async () => {
    // Pulumi.yaml declares it `type: boolean`; engine-config.ts plays the engine's type check.
    await expect(
      runProgram({ ...keys, configDrive: "yes" }, "ola", swarmStdout([])),
    ).rejects.toThrow("configuration key 'configDrive' must be of type 'boolean'");
  });
});
