/**
 * templates/stack-external.sh run by bash as a ManagerStep runs it (the secret stdin first, then
 * the step's stdin: manager-step-provider.ts), against a stand-in `docker` on PATH that records
 * its arguments and stdin. The stand-in stands for the docker CLI's interface only (`docker secret
 * create NAME -` reads the value from stdin: docs.docker.com/reference/cli/docker/secret/create);
 * the system test (harness/stack-files-test.ts) runs the same script against a real swarm.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { overlayMtu } from "../../infra/config/settings";
import {
  externalNetworkScripts,
  externalSecretScripts,
  externalSecretStdin,
  nodeLabelScripts,
} from "../../infra/stacks/external-scripts";
import type { RemoteScript } from "../../infra/swarm/remote-scripts";

const SECRET = "s3cr3t value with 'quotes' and $dollars";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-external-"));
  fs.writeFileSync(
    path.join(dir, "docker"),
    [
      "#!/usr/bin/env bash",
      `printf '%s\\n' "$*" >>"${dir}/argv"`,
      // `inspect` answers "missing" unless the test made it exist.
      `if [ "$2" = inspect ]; then [ -e "${dir}/exists-$1-$3" ]; exit; fi`,
      `if [ "$*" != "\${*%-}" ]; then cat >"${dir}/stdin"; fi`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  for (const file of fs.readdirSync(dir)) if (file !== "docker") fs.rmSync(path.join(dir, file));
});

function run(script: RemoteScript, secretStdin = "") {
  const args = script.command.split(" ").slice(3); // "bash -s -- ..."
  return spawnSync("bash", ["-s", "--", ...args], {
    input: `${secretStdin}${script.stdin}`,
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, SWARMLAB_POLL_SECONDS: "0" },
  });
}

const argv = () => fs.readFileSync(path.join(dir, "argv"), "utf8");

describe("stack-external.sh", () => {
  it("creates a secret from the secret stdin: the value on docker's stdin, never in argv or the log", () => {
    const scripts = externalSecretScripts("db_root");
    expect(scripts.create.stdin).not.toContain(SECRET);
    const result = run(scripts.create, externalSecretStdin(SECRET));
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "stdin"), "utf8")).toBe(SECRET);
    expect(argv()).toBe(
      "secret inspect db_root\nsecret create --label swarmlab.external=true db_root -\n",
    );
    expect(result.stderr).toContain("secret db_root created");
    expect(`${result.stdout}${result.stderr}${argv()}`).not.toContain("s3cr3t");
  });

  it("refuses to run without a value", () => {
    const result = run(externalSecretScripts("db_root").create);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("secret db_root: no value on the secret stdin");
  });

  it("makes an overlay network at the overlay MTU, and keeps one that exists", () => {
    // On a 1450 network (OpenStack VXLAN) the option is 1450: the driver gives tasks 1400.
    const scripts = externalNetworkScripts("lab-edge", overlayMtu(1450), true, 60);
    expect(run(scripts.create).status).toBe(0);
    expect(argv()).toBe(
      "network inspect lab-edge\nnetwork create --driver overlay --label swarmlab.external=true --opt com.docker.network.driver.mtu=1450 --attachable lab-edge\n",
    );
    fs.writeFileSync(path.join(dir, "exists-network-lab-edge"), "");
    fs.rmSync(path.join(dir, "argv"));
    const again = run(scripts.create);
    expect(again.status).toBe(0);
    expect(argv()).toBe("network inspect lab-edge\n");
  });

  it("sets a node's labels, and removes them", () => {
    const scripts = nodeLabelScripts("alice-worker-0", { storage: "ssd", zone: "a" });
    expect(run(scripts.create).status).toBe(0);
    expect(argv()).toBe("node update --label-add storage=ssd --label-add zone=a alice-worker-0\n");
    fs.writeFileSync(path.join(dir, "exists-node-alice-worker-0"), "");
    fs.rmSync(path.join(dir, "argv"));
    expect(run(scripts.delete).status).toBe(0);
    expect(argv()).toBe(
      "node inspect alice-worker-0\nnode update --label-rm storage --label-rm zone alice-worker-0\n",
    );
  });

  it("builders refuse what could reach a shell as syntax", () => {
    expect(() => externalSecretScripts("a b")).toThrow(/secret name "a b" is not valid/);
    expect(() => nodeLabelScripts("alice-worker-0", { x: "a b" })).toThrow(/node label/);
    expect(() => externalNetworkScripts("n", 99999, false, 60)).toThrow(/overlay MTU/);
    // The option is a network MTU: below swarmlab:mtu's range (1280 to 9000) it is a mistake.
    expect(() => externalNetworkScripts("n", 1230, false, 60)).toThrow(/1280 to 9000/);
  });
});
