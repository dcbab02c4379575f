/**
 * templates/registry-deploy.sh against fake docker and curl (test/templates/fakes): each way the
 * registry can fail to answer is named, with the service's task errors; an image that cannot be
 * pulled fails at once, naming swarmlab:registryImage.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { registryDeployScript } from "../../infra/registry/registry-files";
import { htpasswdFile } from "../../infra/registry/registry-files";
import { run } from "./tools";

let fake: string;

beforeEach(() => {
  fake = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-registry-fake-"));
  fs.writeFileSync(path.join(fake, "state"), "active\n");
  fs.writeFileSync(
    path.join(fake, "service_ps"),
    "swarmlab-registry_registry.1 on alice-manager-0: Running 3 seconds ago \n",
  );
});
afterEach(() => fs.rmSync(fake, { recursive: true, force: true }));

function put(name: string, content: string): void {
  fs.writeFileSync(path.join(fake, name), content);
}

function deploy(timeoutSeconds = 1) {
  const script = registryDeployScript({
    image: "registry:2",
    node: "alice-manager-0",
    certificate: "CERT",
    privateKey: "KEY",
    htpasswd: htpasswdFile("swarmlab", `$2a$10$${"a".repeat(53)}`),
    endpoint: "10.42.0.10:5000",
    user: "swarmlab",
    password: "pw",
    caCertificate: "CA",
    timeoutSeconds,
  });
  return run("sh", ["-c", script.command], {
    input: script.stdin,
    // wait_until's own 3 s poll: fakes/sleep skips it on the clock fakes/date reads.
    env: {
      PATH: `${path.join(__dirname, "fakes")}:${process.env.PATH}`,
      HOME: fake,
      FAKE_DIR: fake,
    },
  });
}

describe("registry-deploy.sh", () => {
  it("deploys the stack and succeeds on 401 without and 200 with credentials", () => {
    put("registry_anon", "401");
    put("registry_auth", "200");
    const result = deploy();
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("registry answering over TLS at 10.42.0.10:5000");
    expect(fs.readFileSync(path.join(fake, "calls"), "utf8")).toMatch(
      /docker stack deploy --prune --resolve-image never -c registry-compose.yaml swarmlab-registry/,
    );
  });

  it.each([
    [
      "7",
      "curl: (7) Failed to connect to 10.42.0.10 port 5000: Connection refused",
      "not listening: nothing answers on 10.42.0.10:5000",
    ],
    [
      "35",
      "curl: (35) error:0A000126:SSL routines::unexpected eof",
      "TLS handshake with 10.42.0.10:5000 failed",
    ],
    [
      "60",
      "curl: (60) SSL: no alternative certificate subject name matches target host name '10.42.0.10'",
      "the registry's certificate does not match the address 10.42.0.10",
    ],
    [
      "60",
      "curl: (60) SSL certificate problem: unable to get local issuer certificate",
      "the registry's certificate is not signed by the lab CA",
    ],
  ])("names the failed step (curl exit %s) and quotes the tasks", (exit, error, step) => {
    put("registry_exit", exit);
    put("registry_error", error);
    const result = deploy();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the registry did not answer by the deadline: ${step}`);
    expect(result.stderr).toContain(
      "Tasks of swarmlab-registry_registry (docker service ps --no-trunc):",
    );
    expect(result.stderr).toContain("swarmlab-registry_registry.1 on alice-manager-0: Running");
  });

  it("says when the credentials are refused", () => {
    put("registry_anon", "401");
    put("registry_auth", "401");
    const result = deploy();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "auth refused: GET /v2/ with the registry credentials answered HTTP 401, not 200",
    );
  });

  it("fails at once when the image cannot be pulled, naming swarmlab:registryImage", () => {
    put("registry_exit", "7");
    put("registry_error", "refused");
    put("service_errors", "No such image: registry:2\n");
    const result = deploy(600);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "the registry image registry:2 cannot be pulled on manager-0: No such image: registry:2. Set swarmlab:registryImage to an image your nodes can pull",
    );
  });
});
