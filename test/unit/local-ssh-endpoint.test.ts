/**
 * How the steps above the nodes reach a manager's sshd on either cloud: a floating IP (port 22)
 * or the local cloud's 127.0.0.1:<published port> (infra/swarm/ssh-endpoint.ts), and the
 * student's login line for each (sshCommand output).
 */
import { sshAddress, sshEndpoint } from "../../infra/swarm/ssh-endpoint";
import { sshCommandLine } from "../../infra/swarm/ssh-command";
import { localImageTag } from "../../infra/local/local-lab";
import { localInstanceUuid } from "../../infra/local/local-node";

describe("sshEndpoint", () => {
  it("reads a bare address as port 22 and host:port as that port", () => {
    expect(sshEndpoint("203.0.113.10", 22)).toEqual({ host: "203.0.113.10", port: 22 });
    expect(sshEndpoint("127.0.0.1:2222", 22)).toEqual({ host: "127.0.0.1", port: 2222 });
  });

  it("writes port 22 as the bare host, so OpenStack's addresses (and pins) stay as they were", () => {
    expect(sshAddress("203.0.113.10", 22)).toBe("203.0.113.10");
    expect(sshAddress("127.0.0.1", 2223)).toBe("127.0.0.1:2223");
    expect(sshEndpoint(sshAddress("127.0.0.1", 2223), 22)).toEqual({
      host: "127.0.0.1",
      port: 2223,
    });
  });
});

describe("sshCommandLine", () => {
  it("adds -p only for a port other than 22", () => {
    const args = { stack: "alice", sshUser: "ubuntu", host: "127.0.0.1" };
    expect(sshCommandLine({ ...args, port: 2222 })).toMatch(
      /ssh -i alice\.pem -p 2222 ubuntu@127\.0\.0\.1$/,
    );
    expect(sshCommandLine({ ...args, port: 22 })).toBe(sshCommandLine(args));
    expect(sshCommandLine(args)).toMatch(/ssh -i alice\.pem ubuntu@127\.0\.0\.1$/);
  });
});

describe("the local node image and instance ids", () => {
  it("tags the image by its recipe and login user", () => {
    expect(localImageTag("ubuntu")).toMatch(/^swarmlab-local-node:[0-9a-f]{16}$/);
    expect(localImageTag("ubuntu")).toBe(localImageTag("ubuntu"));
    expect(localImageTag("debian")).not.toBe(localImageTag("ubuntu"));
  });

  it("gives each node a stable uuid of its own, as cloud-init's instance id", () => {
    const id = localInstanceUuid("alice", "alice-manager-0");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(localInstanceUuid("alice", "alice-manager-0")).toBe(id);
    expect(localInstanceUuid("alice", "alice-worker-0")).not.toBe(id);
  });
});
