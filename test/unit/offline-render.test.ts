import * as fs from "node:fs";
import * as path from "node:path";
import { parseLabConfig } from "../../infra/config/validate";
import { engineConfig } from "../../scripts/lib/engine-config";
import { renderStackFiles } from "../../scripts/lib/offline-render";
import { rawConfigFromStackYaml } from "../../scripts/lib/stack-config";
import { unwrapSecret } from "./support/mock-cloud";
import { names, runProgram, swarmStdout } from "./support/program";

describe("rawConfigFromStackYaml", () => {
  it("turns a stack file into the strings pulumi.Config.get returns", () => {
    const raw = rawConfigFromStackYaml(
      [
        "config:",
        "  swarmlab:workers: 3",
        "  swarmlab:allowedCidrs:",
        "    - 203.0.113.0/24",
        "  swarmlab:daemonConfig:",
        "    log-driver: journald",
        "  openstack:cloud: campus",
      ].join("\n"),
      "Pulumi.t.yaml",
    );
    expect(raw).toEqual({
      workers: "3",
      allowedCidrs: '["203.0.113.0/24"]',
      daemonConfig: '{"log-driver":"journald"}',
    });
  });

  it("refuses a config that is not a map", () => {
    expect(() => rawConfigFromStackYaml("config: [1]", "Pulumi.t.yaml")).toThrow(
      'Pulumi.t.yaml: "config" must be a map',
    );
  });
});

describe("Pulumi.example.yaml", () => {
  // Copied per student as the README says: a hard-coded owner gave every stack the same names.
  it("leaves owner to the stack name, so two copies never share a name", () => {
    const text = fs.readFileSync(path.join(__dirname, "../../Pulumi.example.yaml"), "utf8");
    const raw = rawConfigFromStackYaml(text, "Pulumi.example.yaml");
    expect(raw.owner).toBeUndefined();
    const owners = ["alice", "bob"].map((stack) => {
      const parsed = parseLabConfig(engineConfig(stack, raw), stack);
      return parsed.ok ? parsed.config.owner : parsed.problems;
    });
    expect(owners).toEqual(["alice", "bob"]);
  });
});

describe("renderStackFiles", () => {
  it("renders the shipped example stack: user-data, daemon.json and per-node metadata", () => {
    const text = fs.readFileSync(path.join(__dirname, "../../Pulumi.example.yaml"), "utf8");
    const raw = engineConfig("example", rawConfigFromStackYaml(text, "example"));
    const parsed = parseLabConfig(raw, "example");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const files = renderStackFiles(parsed.config);
    expect(files.map((f) => f.path)).toEqual([
      "user-data.yaml",
      "user-data.readable.yaml",
      "daemon.json",
      "example-manager-0/metadata.json",
      "example-worker-0/metadata.json",
      "example-worker-1/metadata.json",
      "README.txt",
    ]);
    const daemon = JSON.parse(files[2].content);
    expect(daemon).toMatchObject({
      "storage-driver": "overlay2",
      mtu: 1450,
      "max-concurrent-downloads": 6,
      // The example keeps the default logs, which rotate (issue 26, item 7).
      "log-driver": "json-file",
      "log-opts": { "max-size": "10m", "max-file": "3" },
    });
    const worker = JSON.parse(files[4].content);
    expect(worker.swarm_token).toBe("<join token: secret, set at deploy>");
    expect(files[0].content).not.toContain('swarm_token":');
    // The readable view shows the scripts and daemon.json as text, as the node has them.
    const readable = files[1].content;
    expect(readable).toContain("path: /usr/local/lib/swarmlab/swarm-up.sh");
    expect(readable).toContain('"max-concurrent-downloads": 6');
    expect(readable).not.toContain("encoding: gz+b64");
    expect(files[0].content).toContain("encoding: gz+b64");
  });

  it("says that an existing network's pool is only known at deploy", () => {
    const raw = engineConfig("dave", { allowedCidrs: '["203.0.113.0/24"]', network: "course-net" });
    const parsed = parseLabConfig(raw, "dave");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const readme = renderStackFiles(parsed.config).find((f) => f.path === "README.txt");
    expect(readme?.content).toContain(
      "Network course-net exists already: at deploy the overlay address pool is planned from " +
        "its real subnet, not from cidr as shown here.",
    );
  });
});

describe("npm run render shows the metadata the program gives the nodes (issue 26, item 6)", () => {
  it("the same keys on every node as under `pulumi up` (the CA's chunks shown as one)", async () => {
    const text = fs.readFileSync(path.join(__dirname, "../../Pulumi.example.yaml"), "utf8");
    const keys = rawConfigFromStackYaml(text, "Pulumi.example.yaml");
    const parsed = parseLabConfig(engineConfig("example", keys), "example");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const rendered = Object.fromEntries(
      renderStackFiles(parsed.config)
        .filter((f) => f.path.endsWith("/metadata.json"))
        .map((f) => [f.path.split("/")[0], Object.keys(JSON.parse(f.content) as object).sort()]),
    );
    // The program under mocks (support/program.ts): the servers' metadata as Nova gets it.
    const run = await runProgram(keys, "example", swarmStdout(names("example", 1, 2)));
    if (run.error !== undefined) throw run.error;
    const oneChunk = (key: string) => key.replace(/^registry_ca_\d+$/, "registry_ca_0");
    const program = Object.fromEntries(
      run.ofType("openstack:compute/instance:Instance").map((server) => [
        String(server.inputs.name),
        // The metadata holds the join token, so the program sends it as a secret.
        [
          ...new Set(Object.keys(unwrapSecret(server.inputs.metadata) as object).map(oneChunk)),
        ].sort(),
      ]),
    );
    expect(rendered).toEqual(program);
    expect(rendered["example-worker-0"]).toEqual(
      expect.arrayContaining(["registry_endpoints", "registry_ca_0", "swarm_token"]),
    );
  });
});
