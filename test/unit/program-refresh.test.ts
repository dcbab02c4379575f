/**
 * `pulumi up --refresh` after the join tokens were rotated (issue 21, item 4). A refresh runs the
 * bootstrap step's read script, which prints the swarm's CURRENT tokens, and stores them
 * (manager-step-provider.ts read; the engine keeps what Read returns as the new state, pulumi/pulumi
 * pkg/engine/refresh). The next update feeds them to every node's metadata input: if Nova got
 * them, `openstack server show` would hand working tokens to anyone in the project, the very thing
 * the rotation is for. Servers take their metadata at boot only (ignoreChanges), so the update
 * changes no server; a server created later (a heal, a scale-up) gets the current tokens and the
 * rotation step, keyed on every server id, rotates again after it joined.
 */
import { MOCK_TOKENS } from "./support/mock-cloud";
import { names, nextDeployment, runProgram, swarmStdout } from "./support/program";

const INSTANCE = "openstack:compute/instance:Instance";
const CONFIG = { allowedCidrs: JSON.stringify(["203.0.113.0/24"]), rotateJoinTokens: "true" };
const STDOUT = swarmStdout(names("lee", 1, 2));
/** What the swarm answers after the rotation step ran: other tokens, both working. */
const ROTATED = {
  worker: MOCK_TOKENS.worker.replace("mockworker", "rotatedwkr"),
  manager: MOCK_TOKENS.manager.replace("mockmanager", "rotatedmgr"),
  joinAddr: "10.42.0.10:2377",
};

describe("up --refresh after a token rotation", () => {
  it("puts the swarm's current tokens into no server's metadata and re-runs no step", async () => {
    const first = await runProgram(CONFIG, "lee", STDOUT);
    if (first.error !== undefined) throw first.error;
    const refreshed = first.resources.map((r) =>
      r.name === "lee-bootstrap-tokens"
        ? { ...r, outputs: { ...r.outputs, stdout: JSON.stringify(ROTATED) } }
        : r,
    );
    const { run } = await nextDeployment(first, "lee", CONFIG, STDOUT, { state: refreshed });

    const servers = run.ofType(INSTANCE);
    expect(servers.map((s) => s.name).sort()).toEqual(
      names("lee", 1, 2)
        .map((n) => `${n}-server`)
        .sort(),
    );
    for (const server of servers) {
      // The program does offer the new tokens (manager-0 initialised the swarm: it has none);
      // the engine keeps the server's boot metadata.
      if (server.name !== "lee-manager-0-server") {
        expect(JSON.stringify(server.inputs.metadata)).toContain(ROTATED.worker.slice(0, 30));
      }
      expect(server.options.ignoreChanges).toContain("metadata");
      expect([server.name, server.step]).toEqual([server.name, "same"]);
    }
    // Nothing else moves either: the rotation step has nothing to rotate again.
    expect(run.resources.filter((r) => r.step !== "same" && r.step !== "read")).toEqual([]);
  });
});
