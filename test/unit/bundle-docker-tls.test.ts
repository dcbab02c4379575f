/**
 * Issue 24: a context imported from a bundle talks mutual TLS to the student's Docker API. The
 * real docker CLI runs `docker --context … version` against a stub Docker API (Node's https
 * server, which demands a client certificate signed by the bundle's CA). Certificates come from
 * the openssl CLI, since the program's own (@pulumi/tls) need the Pulumi engine.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { bundleSource } from "../../scripts/bundle/contents";
import { writeBundle } from "../../scripts/bundle/write-bundle";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM text. */
function makePki(dir: string) {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=lab CA",
  );
  for (const [name, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"],
    ["client", "extendedKeyUsage=clientAuth"],
  ]) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    ssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  }
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
  return {
    ca: read("ca.pem"),
    server: { cert: read("server.pem"), key: read("server.key") },
    client: { cert: read("client.pem"), key: read("client.key") },
  };
}

describe("a bundle's context against a stub Docker API", () => {
  let dir: string;
  let server: https.Server | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-tls-"));
  });
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("`docker --context … version` reaches the server with the bundle's client certificate", async () => {
    const pki = makePki(dir);
    const clients: string[] = [];
    server = https.createServer(
      { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        clients.push(String(peer.subject.CN));
        response.setHeader("Api-Version", "1.47");
        response.setHeader("Content-Type", "application/json");
        if (request.url?.endsWith("/_ping")) response.end("OK");
        else
          response.end(
            JSON.stringify({ Version: "stub-27", ApiVersion: "1.47", Os: "linux", Arch: "amd64" }),
          );
      },
    );
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;

    const workspace = new FakeClassWorkspace({ delayMs: 0 });
    await workspace.up("alice");
    const outputs = {
      ...(await workspace.secretOutputs("alice")),
      dockerHost: `tcp://127.0.0.1:${port}`,
      caCertificate: pki.ca,
      clientCertificate: pki.client.cert,
      clientKey: pki.client.key,
    };
    const source = bundleSource("alice", outputs);
    if ("missing" in source) throw new Error(`missing ${source.missing.join(", ")}`);
    const bundle = path.join(dir, "alice");
    // No known_hosts entry: this test is about the Docker API's TLS only.
    await writeBundle(bundle, source, []);

    const env = { ...process.env, DOCKER_CONFIG: path.join(dir, "docker-config") };
    await run(
      "docker",
      ["context", "import", "swarmlab-alice", path.join(bundle, "docker-context.tar")],
      { env },
    );
    const { stdout } = await run(
      "docker",
      ["--context", "swarmlab-alice", "version", "--format", "{{.Server.Version}}"],
      { env },
    );
    expect(stdout.trim()).toBe("stub-27");
    expect(clients.length).toBeGreaterThan(0);
    expect(new Set(clients)).toEqual(new Set(["client"]));
  });
});
