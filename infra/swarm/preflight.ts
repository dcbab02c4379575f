/**
 * Before anything talks SSH to manager-0: can the machine running `pulumi up` reach its floating
 * IP on port 22 at all? It cannot unless that machine is inside `allowedCidrs`, and the SSH steps
 * would then dial for the whole boot deadline before failing with a bare dial timeout. This step
 * runs where Pulumi runs (a local command, under the Node.js that runs the program) and fails
 * after a few minutes with a message that names allowedCidrs.
 *
 * A refused connection counts as reachable: the packets got through the security group, only
 * sshd is not up yet, and the SSH steps' own dialing waits for it.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sshEndpoint } from "./ssh-endpoint";

/** How long a fresh server may take until its floating IP answers on 22 (refused is an answer). */
export const REACH_DEADLINE_SECONDS = 300;

/**
 * The check, as Node.js source run with `node -e`; parameters come from the environment. Kept
 * to plain `net` so it runs on any machine that runs the Pulumi program.
 */
export const REACH_SSH_SOURCE = `
const net = require("net");
const { HOST, PORT, DEADLINE_SECONDS, ALLOWED_CIDRS } = process.env;
const deadline = Date.now() + Number(DEADLINE_SECONDS) * 1000;
function fail() {
  console.error(
    "cannot reach manager-0 at " + HOST + ":" + PORT + " from this machine within " +
      DEADLINE_SECONDS + " s. The machine running pulumi must be inside swarmlab:allowedCidrs (" +
      ALLOWED_CIDRS + "): add its public address, e.g. pulumi config set --path " +
      "'swarmlab:allowedCidrs[1]' <your address>/32, then run pulumi up again. If it is inside, " +
      "the server may be slow to boot: see openstack console log show <owner>-manager-0.",
  );
  process.exit(1);
}
function attempt() {
  if (Date.now() > deadline) fail();
  const socket = net.connect({ host: HOST, port: Number(PORT), timeout: 10000 });
  socket.on("connect", () => { socket.destroy(); process.exit(0); });
  socket.on("timeout", () => { socket.destroy(); setTimeout(attempt, 1000); });
  socket.on("error", (error) => {
    if (error.code === "ECONNREFUSED") process.exit(0);
    setTimeout(attempt, 5000);
  });
}
attempt();
`;

export interface ReachArgs {
  host: pulumi.Input<string>;
  allowedCidrs: readonly string[];
  /** What must exist before the address can answer (server, floating IP association). */
  waitFor: pulumi.Resource[];
}

/** The local reachability check; SSH steps to manager-0 depend on it. */
export function sshReachable(
  name: string,
  args: ReachArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return new command.local.Command(
    name,
    {
      // `node` from PATH, as Pulumi's Node.js runtime needs it there (a path would differ per
      // machine and show a diff on every teacher's preview).
      interpreter: ["node", "-e"],
      create: REACH_SSH_SOURCE,
      environment: {
        // "host" (port 22) or, on the local cloud, "127.0.0.1:<published port>".
        HOST: pulumi.output(args.host).apply((address) => sshEndpoint(address, 22).host),
        PORT: pulumi.output(args.host).apply((address) => String(sshEndpoint(address, 22).port)),
        DEADLINE_SECONDS: String(REACH_DEADLINE_SECONDS),
        ALLOWED_CIDRS: args.allowedCidrs.join(", "),
      },
      // A new address (a new manager-0 or floating IP) is checked again.
      triggers: [args.host],
    },
    { ...opts, dependsOn: args.waitFor },
  );
}
