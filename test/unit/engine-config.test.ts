import * as fs from "node:fs";
import * as path from "node:path";
import { parseLabConfig } from "../../infra/config/validate";
import { engineConfig, PROJECT_FILE } from "../../scripts/lib/engine-config";
import { rawConfigFromStackYaml } from "../../scripts/lib/stack-config";
import { testStackKeys, TEST_STACKS } from "../system/harness/test-stack";

const PROJECT_YAML = fs.readFileSync(PROJECT_FILE, "utf8");
const EXAMPLE_FILE = path.join(__dirname, "../../Pulumi.example.yaml");

describe("engineConfig", () => {
  it("fills every declared default as pulumi.Config.get returns it, stack keys winning", () => {
    const raw = engineConfig("alice", { workers: "3", allowedCidrs: '["203.0.113.0/24"]' });
    expect(raw).toMatchObject({
      owner: "",
      managers: "1",
      workers: "3",
      image: "Ubuntu 22.04",
      dnsNameservers: "[]",
      allowedCidrs: '["203.0.113.0/24"]',
      dockerVolumeSize: "0",
      dockerVolumeFilesystem: "",
      rotateJoinTokens: "true",
      bootTimeoutSeconds: "900",
    });
    expect(raw.daemonConfig).toBeUndefined();
  });

  it("passes keys Pulumi.yaml does not declare (daemonConfig) through", () => {
    const raw = engineConfig("alice", { allowedCidrs: "[]", daemonConfig: '{"debug":true}' });
    expect(raw.daemonConfig).toBe('{"debug":true}');
  });

  it("stops, as the engine does, on a required key the stack does not set", () => {
    expect(() => engineConfig("alice", {})).toThrow(
      "Stack 'alice' is missing configuration value 'allowedCidrs'",
    );
  });

  it("stops, as the engine does, on a value of the wrong declared type", () => {
    expect(() => engineConfig("alice", { allowedCidrs: "[]", workers: "three" })).toThrow(
      "Stack 'alice' with configuration key 'workers' must be of type 'integer'",
    );
    expect(() => engineConfig("alice", { allowedCidrs: "10.0.0.0/8" })).toThrow(
      "Stack 'alice' with configuration key 'allowedCidrs' must be of type 'array<string>'",
    );
  });

  it("JSON-encodes structured defaults and prints primitives as Go's %v does", () => {
    const project = [
      "name: swarmlab",
      "config:",
      "  a: { type: array, items: { type: string }, default: [x, y] }",
      "  b: { type: boolean, default: true }",
      "  c: { type: integer, default: 7 }",
    ].join("\n");
    expect(engineConfig("s", {}, project)).toEqual({ a: '["x","y"]', b: "true", c: "7" });
  });
});

// Issue 15: every config a user or a test deploys must survive the engine's merge + validation.
const CONFIGS: [string, string, Record<string, string | undefined>][] = [
  [
    "Pulumi.example.yaml",
    "example",
    rawConfigFromStackYaml(fs.readFileSync(EXAMPLE_FILE, "utf8"), "Pulumi.example.yaml"),
  ],
  ...Object.entries(TEST_STACKS).map(
    ([name, config]): [string, string, Record<string, string | undefined>] => [
      `system test stack ${name}`,
      "carol",
      testStackKeys("carol", config),
    ],
  ),
];

describe.each(CONFIGS)("%s, with Pulumi.yaml's defaults merged in", (_label, stack, stackKeys) => {
  it("is a valid LabConfig", () => {
    const result = parseLabConfig(engineConfig(stack, stackKeys), stack);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("the storage drivers that format their own volume (issue 15)", () => {
  it.each(["btrfs", "zfs"])("%s deploys with Pulumi.yaml's defaults", (driver) => {
    const stackKeys = {
      allowedCidrs: '["203.0.113.0/24"]',
      storageDriver: driver,
      dockerVolumeSize: "20",
    };
    const result = parseLabConfig(engineConfig("alice", stackKeys), "alice");
    expect(result.ok ? result.config.storageDriver : result.problems).toBe(driver);
  });

  it("would have failed with the old declared default (ext4)", () => {
    const old = PROJECT_YAML.replace(
      /(dockerVolumeFilesystem:\n(?: {4}.*\n)*? {4}default: )""/,
      "$1ext4",
    );
    expect(old).not.toBe(PROJECT_YAML);
    const stackKeys = {
      allowedCidrs: '["203.0.113.0/24"]',
      storageDriver: "btrfs",
      dockerVolumeSize: "20",
    };
    const result = parseLabConfig(engineConfig("alice", stackKeys, old), "alice");
    expect(result.ok ? [] : result.problems.map((p) => p.key)).toEqual(["dockerVolumeFilesystem"]);
  });
});
