import { execFile } from "node:child_process";
import * as net from "node:net";
import { REACH_SSH_SOURCE } from "../../infra/swarm/preflight";

function reach(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-e", REACH_SSH_SOURCE],
      { env: { ...process.env, ALLOWED_CIDRS: "203.0.113.0/24", ...env } },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
    );
  });
}

describe("the SSH reachability check", () => {
  it("passes when the port answers, even with a refusal (sshd not up yet)", async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = String((server.address() as net.AddressInfo).port);
    expect(await reach({ HOST: "127.0.0.1", PORT: port, DEADLINE_SECONDS: "5" })).toEqual({
      code: 0,
      stderr: "",
    });
    server.close();
    // Closed now: the port refuses, which means the path is open.
    expect((await reach({ HOST: "127.0.0.1", PORT: port, DEADLINE_SECONDS: "5" })).code).toBe(0);
  });

  it("fails at its deadline naming allowedCidrs when nothing answers", async () => {
    // A name that never resolves stands for packets a security group drops: no answer at all.
    const result = await reach({ HOST: "manager.invalid", PORT: "22", DEADLINE_SECONDS: "0" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "cannot reach manager-0 at manager.invalid:22 from this machine within 0 s. The machine " +
        "running pulumi must be inside swarmlab:allowedCidrs (203.0.113.0/24)",
    );
  }, 20_000);
});
