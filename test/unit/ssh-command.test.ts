import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sshCommandLine } from "../../infra/swarm/ssh-command";

describe("sshCommandLine", () => {
  it("reads the key of the named stack into a file only its owner can read", () => {
    expect(sshCommandLine({ stack: "alice", sshUser: "ubuntu", host: "203.0.113.10" })).toBe(
      "(umask 077 && rm -f alice.pem && pulumi stack output --stack alice --show-secrets " +
        "sshPrivateKey > alice.pem) && ssh -i alice.pem ubuntu@203.0.113.10",
    );
  });

  it("creates the key file 0600 even where an earlier one was 0644", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-command-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // Stand-ins for the CLIs: pulumi prints a key, ssh prints the mode of the file it was given.
    fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\necho KEY\n", { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "ssh"), '#!/bin/sh\nstat -c %a "$2"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "alice.pem"), "old\n", { mode: 0o644 });
    const line = sshCommandLine({ stack: "alice", sshUser: "ubuntu", host: "203.0.113.10" });
    const output = execFileSync("sh", ["-c", line], {
      cwd: dir,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: "utf8",
    });
    expect(output.trim()).toBe("600");
    expect(fs.readFileSync(path.join(dir, "alice.pem"), "utf8")).toBe("KEY\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
