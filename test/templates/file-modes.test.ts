/**
 * File modes the CIS Docker Benchmark asks of a node (3.7, 3.8: registry certificates in
 * /etc/docker/certs.d root's and 0444 or stricter), from the node script that writes them, run
 * under the real bash and openssl with a fake cloud-init whose metadata is what the program puts
 * into Nova (registry_endpoints, registry_ca_0..N: the CA's base64 body in chunks of <= 255).
 * The Docker API's certificates and key (3.10-3.14) are checked on a booted node by the system
 * test, where docker-api-tls.sh runs against a real dockerd.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TEMPLATES_DIR } from "../../infra/nodes/templates";
import { requireTool, run } from "./tools";

let dir: string;

beforeAll(() => requireTool("openssl", "openssl"));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-modes-"));
  fs.mkdirSync(path.join(dir, "meta"));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A self-signed CA certificate made by openssl, as the lab CA is a real X.509 certificate. */
function caBody(): string {
  const made = run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    path.join(dir, "ca.key"),
    "-subj",
    "/CN=swarmlab test CA",
    "-days",
    "1",
  ]);
  expect(made.status).toBe(0);
  return made.stdout
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("-----"))
    .join("");
}

function registryTrust(certsDir: string) {
  return run("bash", [path.join(TEMPLATES_DIR, "registry-trust.sh")], {
    env: {
      PATH: `${path.join(__dirname, "fakes")}:${process.env.PATH}`,
      FAKE_DIR: dir,
      SWARMLAB_LIB: path.join(TEMPLATES_DIR, "lib.sh"),
      SWARMLAB_CERTS_DIR: certsDir,
    },
  });
}

describe("registry-trust.sh", () => {
  it("writes each endpoint's ca.crt 0444, also over an older 0644 file", () => {
    const body = caBody();
    const chunks = body.match(/.{1,255}/g) ?? [];
    chunks.forEach((chunk, i) =>
      fs.writeFileSync(path.join(dir, "meta", `registry_ca_${i}`), chunk),
    );
    fs.writeFileSync(
      path.join(dir, "meta", "registry_endpoints"),
      "10.0.0.5:5000 203.0.113.7:5000",
    );
    const certsDir = path.join(dir, "certs.d");
    // A node from before this change: its ca.crt is 0644.
    fs.mkdirSync(path.join(certsDir, "10.0.0.5:5000"), { recursive: true });
    fs.writeFileSync(path.join(certsDir, "10.0.0.5:5000", "ca.crt"), "old\n", { mode: 0o644 });

    const result = registryTrust(certsDir);
    expect(result.stderr).toMatch(/trusting the lab CA for 203.0.113.7:5000/);
    expect(result.status).toBe(0);
    for (const endpoint of ["10.0.0.5:5000", "203.0.113.7:5000"]) {
      const file = path.join(certsDir, endpoint, "ca.crt");
      const stat = fs.statSync(file);
      expect({ endpoint, mode: (stat.mode & 0o777).toString(8), uid: stat.uid }).toEqual({
        endpoint,
        mode: "444",
        uid: 0,
      });
      expect(fs.readFileSync(file, "utf8")).toContain(body.slice(0, 64));
    }
  });
});
