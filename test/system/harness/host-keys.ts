/**
 * The lab's host-key pins, as the program's HostKeyPin takes them: at first contact with a server,
 * with the program's own pin provider (infra/swarm/host-key-pin-provider.ts, docs/design.md principle
 * 8), one pin per server (a re-created server is a new Server object, as a new server id is a new
 * pin). Here the pin is also checked against the key read out of band with `docker exec NODE cat
 * /etc/ssh/ssh_host_ed25519_key.pub`, the channel a console log is on a real cloud: a test that
 * pinned the wrong key would prove nothing.
 */
import { fingerprintOfPublicKeyLine } from "../../../infra/swarm/host-key-check";
import type { HostKeys, PinnedHostKey } from "../../../infra/swarm/host-key-check";
import { hostKeyPinProvider } from "../../../infra/swarm/host-key-pin-provider";
import type { HostKeyPinOutputs } from "../../../infra/swarm/host-key-pin-provider";
import { docker, execInNodeOk } from "./docker";
import type { Server } from "./nova";

/** How long a fresh server may take until its sshd shows a host key. */
const PIN_TIMEOUT_SECONDS = 300;

/** Where sshd keeps the key the pin is for (the only algorithm the program offers). */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";

/** The host key fingerprint of `server` as read from inside it (the out-of-band channel). */
export async function hostKeyInside(server: Server): Promise<string> {
  return fingerprintOfPublicKeyLine(await execInNodeOk(server.container, `cat ${HOST_KEY_FILE}`));
}

async function running(server: Server): Promise<boolean> {
  const state = await docker(["inspect", "-f", "{{.State.Running}}", server.container]);
  return state.exitCode === 0 && state.stdout.trim() === "true";
}

export class HostKeyPins {
  /** Address -> the pin of the server last pinned there: what steps are given. */
  readonly byAddress: HostKeys = {};
  private readonly taken = new WeakMap<Server, Promise<PinnedHostKey>>();

  /** The pin of `server`, taken at first contact (waits for its sshd). */
  pin(server: Server): Promise<PinnedHostKey> {
    let pending = this.taken.get(server);
    if (!pending) {
      pending = this.take(server);
      this.taken.set(server, pending);
      // A failed first contact is not a pin: the next call tries again.
      pending.catch(() => this.taken.delete(server));
    }
    return pending;
  }

  /**
   * Pins every server of `servers` that runs and has no pin yet (a server that is gone keeps its
   * old pin, or has none: steps then find it unreachable, as they would a deleted server).
   */
  async pinRunning(servers: Server[]): Promise<void> {
    await Promise.all(
      servers.map(async (server) => {
        if (this.taken.has(server) || (await running(server))) await this.pin(server);
      }),
    );
  }

  private async take(server: Server): Promise<PinnedHostKey> {
    const created = await hostKeyPinProvider.create({
      server: server.name,
      serverId: server.container,
      // "address" or, in the local cloud's layout, "127.0.0.1:<published port>".
      address: server.sshAddress,
      port: 22,
      reachTimeoutSeconds: PIN_TIMEOUT_SECONDS,
      connectTimeoutSeconds: 5,
    });
    const { fingerprint } = created.outs as HostKeyPinOutputs;
    const inside = await hostKeyInside(server);
    if (inside !== fingerprint) {
      throw new Error(
        `${server.name}: sshd showed ${fingerprint} at first contact, but ${HOST_KEY_FILE} ` +
          `holds ${inside}`,
      );
    }
    const pin = {
      server: server.name,
      fingerprint,
      pin: `system test pin of ${server.container}`,
    };
    this.byAddress[server.sshAddress] = pin;
    return pin;
  }
}
