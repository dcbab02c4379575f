import * as fs from "node:fs";
import * as path from "node:path";
import { parseLabConfig } from "../../infra/config/validate";
import {
  engineConfig,
  EngineConfigError,
  PROJECT_FILE,
  StackKeys,
} from "../../scripts/lib/engine-config";
import {
  rawConfigFromStackYaml,
  StackConfig,
  stackConfigFromYaml,
  StackFileError,
} from "../../scripts/lib/stack-config";
import { checkStackFile } from "../../scripts/lib/check-stack-file";
import { configSetPath } from "./support/config-set-path";
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

  // Issue 21, item 5: strconv.Atoi (ValidateConfigValue, sdk/go/common/workspace/project.go)
  // takes a leading "+"; the engine's missing-keys error comes before any type error
  // (mergeConfig, pkg/workspace/config.go).
  it("takes '+3' for an integer and refuses '1' for a boolean, as the engine does", () => {
    const cidrs = '["203.0.113.0/24"]';
    expect(engineConfig("alice", { allowedCidrs: cidrs, workers: "+3" }).workers).toBe("+3");
    expect(() => engineConfig("alice", { allowedCidrs: cidrs, autolock: "1" })).toThrow(
      "Stack 'alice' with configuration key 'autolock' must be of type 'boolean'",
    );
  });

  it("names the missing keys before a type error, and then lists the type error too", () => {
    expect(() => engineConfig("alice", { workers: "three" })).toThrow(
      /^Stack 'alice' is missing configuration value 'allowedCidrs'.*\nStack 'alice' with configuration key 'workers' must be of type 'integer'/s,
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

/** engineConfig's error for `stackKeys`, or a failure if the engine would accept them. */
function engineError(stackKeys: StackKeys, stack = "alice"): EngineConfigError {
  try {
    engineConfig(stack, stackKeys);
  } catch (error) {
    if (error instanceof EngineConfigError) return error;
    throw error;
  }
  throw new Error(`the engine would accept ${JSON.stringify(stackKeys)}`);
}

function fromYaml(...lines: string[]) {
  return stackConfigFromYaml(["config:", ...lines.map((l) => `  ${l}`)].join("\n"), "t.yaml");
}

const CIDRS = "swarmlab:allowedCidrs: [203.0.113.0/24]";

// Issue 21, item 5. The types as pulumi/pulumi sdk/go/common/workspace/project.go
// ValidateConfigValue checks them, on values as sdk/go/common/resource/config/object.go
// (MarshalString) stores a stack file's YAML: lists and maps as JSON flagged "object", booleans
// and numbers as their JSON text, strings as they are.
describe("the engine's type checks on a stack file", () => {
  it("takes a YAML list for type: array, and refuses a string that looks like one", () => {
    expect(engineConfig("alice", fromYaml(CIDRS)).allowedCidrs).toBe('["203.0.113.0/24"]');
    const error = engineError(fromYaml(`swarmlab:allowedCidrs: '["203.0.113.0/24"]'`));
    expect(error.engineMessage).toBe(
      "Stack 'alice' with configuration key 'allowedCidrs' must be of type 'array<string>'",
    );
    expect(error.message).toContain("pulumi config set --path 'swarmlab:allowedCidrs[0]' VALUE");
  });

  it("refuses list items of another type than the declared items (array<string>)", () => {
    expect(engineError(fromYaml("swarmlab:allowedCidrs: [1, 2]")).engineMessage).toMatch(
      /'allowedCidrs' must be of type 'array<string>'$/,
    );
  });

  it("takes true/false for type: boolean (YAML booleans or those exact strings) only", () => {
    for (const good of ["true", "false", "True", "FALSE", '"true"']) {
      expect(engineConfig("alice", fromYaml(CIDRS, `swarmlab:autolock: ${good}`)).autolock).toMatch(
        /^(true|false)$/,
      );
    }
    // YAML 1.2 (gopkg.in/yaml.v3, the engine's reader) reads yes/on as strings.
    for (const bad of ['"True"', "1", "t", '"1"', "yes", "on"]) {
      expect(engineError(fromYaml(CIDRS, `swarmlab:autolock: ${bad}`)).engineMessage).toBe(
        "Stack 'alice' with configuration key 'autolock' must be of type 'boolean'",
      );
    }
  });

  // ValidateConfigValue accepts a string for type: integer when strconv.Atoi parses it, and
  // Go's strconv takes a leading "+" (https://pkg.go.dev/strconv#ParseInt: "s may begin with a
  // leading sign"), with no spaces, decimal only, within int64.
  it("takes integers as strconv.Atoi parses them: +3 passes, 3.5, ' 3' and 0x10 as text do not", () => {
    for (const good of ["3", "+3", '"+3"', '"-0"', "3.0", '"9223372036854775807"']) {
      expect(() =>
        engineConfig("alice", fromYaml(CIDRS, `swarmlab:workers: ${good}`)),
      ).not.toThrow();
    }
    for (const bad of ["3.5", '" 3"', '"0x10"', '"1e2"', '"9223372036854775808"', "three"]) {
      expect(engineError(fromYaml(CIDRS, `swarmlab:workers: ${bad}`)).engineMessage).toBe(
        "Stack 'alice' with configuration key 'workers' must be of type 'integer'",
      );
    }
  });

  it("refuses a list or a map for type: string", () => {
    expect(engineError(fromYaml(CIDRS, "swarmlab:storageDriver: [btrfs]")).engineMessage).toBe(
      "Stack 'alice' with configuration key 'storageDriver' must be of type 'string'",
    );
  });
});

// pkg/workspace/config.go mergeConfig: the missing keys are one error, returned before
// validateStackConfigValues, which walks the declared keys sorted and returns at the first bad
// type. We list every problem in that order; engineMessage is the one line the engine prints.
describe("the engine's order of problems", () => {
  const project = [
    "name: swarmlab",
    "config:",
    "  zeta: { type: integer }",
    "  alpha: { type: array, items: { type: string } }",
    "  mid: { type: boolean, default: false }",
    "  beta: { type: integer, default: 1 }",
    "  omega: { type: string }",
  ].join("\n");

  function problemsOf(stack: StackKeys) {
    try {
      engineConfig("dev", stack, project);
    } catch (error) {
      if (!(error instanceof EngineConfigError)) throw error;
      return { engineMessage: error.engineMessage, problems: error.problems };
    }
    throw new Error("expected the engine to refuse");
  }

  it("lists the missing keys first, in one line, then every type error in key order", () => {
    const { engineMessage, problems } = problemsOf({ zeta: "x", mid: "yes", beta: "1.5" });
    expect(engineMessage).toBe("Stack 'dev' is missing configuration values 'alpha' and 'omega'");
    expect(problems.map((p) => p.replace(/: (set|write) .*/s, ""))).toEqual([
      "Stack 'dev' is missing configuration values 'alpha' and 'omega'",
      "Stack 'dev' with configuration key 'beta' must be of type 'integer'",
      "Stack 'dev' with configuration key 'mid' must be of type 'boolean'",
      "Stack 'dev' with configuration key 'zeta' must be of type 'integer'",
    ]);
  });

  it("prints the first type error in key order when no key is missing", () => {
    const { engineMessage, problems } = problemsOf({
      alpha: { text: "[]", object: true },
      omega: "o",
      zeta: "x",
      mid: "yes",
    });
    expect(engineMessage).toBe(
      "Stack 'dev' with configuration key 'mid' must be of type 'boolean'",
    );
    expect(problems).toHaveLength(2);
  });

  it("says how to fix each problem", () => {
    const { problems } = problemsOf({ zeta: "x" });
    expect(problems).toEqual([
      "Stack 'dev' is missing configuration values 'alpha' and 'omega': set them in " +
        "Pulumi.dev.yaml (see Pulumi.example.yaml), e.g. `pulumi config set --path " +
        "'swarmlab:alpha[0]' VALUE`, `pulumi config set swarmlab:omega VALUE`",
      "Stack 'dev' with configuration key 'zeta' must be of type 'integer': write a whole " +
        "number, e.g. `pulumi config set swarmlab:zeta 3`",
    ]);
  });
});

// The docs' `pulumi config set --path` commands (README's first screen, then docs/stacks.md's
// choice of stacks), run in order on a new stack (the model of the CLI is in
// support/config-set-path.ts), must give a config the engine and the program accept.
describe("the docs' config commands", () => {
  const readme = ["README.md", "docs/stacks.md"]
    .map((page) => fs.readFileSync(path.join(__dirname, "../..", page), "utf8"))
    .join("\n");
  const commands = [...readme.matchAll(/^pulumi config set --path '([^']+)' (\S+)/gm)].map(
    (m): [string, string] => [m[1] ?? "", m[2] ?? ""],
  );

  it("are found", () => {
    expect(commands.map(([key]) => key)).toEqual(
      expect.arrayContaining(["swarmlab:allowedCidrs[0]", "swarmlab:stacks[1]"]),
    );
  });

  it("work, in order, on a stack file that starts empty", () => {
    let stack: StackConfig = {};
    for (const [key, value] of commands) stack = configSetPath(stack, key, value);
    const raw = engineConfig("alice", stack);
    const result = parseLabConfig(raw, "alice");
    expect(result.ok ? result.config.stacks.map((s) => s.name) : result.problems).toEqual([
      "hostname",
      "counter",
    ]);
  });

  it("(the model: stacks[1] alone on a new stack writes [null, counter], which is refused)", () => {
    const stack = configSetPath({}, "swarmlab:stacks[1]", "counter");
    expect(stack.stacks).toEqual({ text: '[null,"counter"]', object: true });
    expect(() => configSetPath(stack, "swarmlab:stacks[3]", "proxy")).toThrow(
      "stacks[3]: array index out of range",
    );
    expect(engineError({ ...stack, ...fromYaml(CIDRS) }).engineMessage).toBe(
      "Stack 'alice' with configuration key 'stacks' must be of type 'array<string>'",
    );
  });
});

describe("a stack file the offline commands cannot read (issue 26, item 10)", () => {
  it("a duplicate key names the file, line and column, not a YAMLParseError", () => {
    const text = "config:\n  swarmlab:workers: 1\n  swarmlab:workers: 2\n";
    expect(() => stackConfigFromYaml(text, "Pulumi.dup.yaml")).toThrow(
      new StackFileError(
        "Pulumi.dup.yaml:3:3: Map keys must be unique (the engine refuses it too; fix the YAML)",
      ),
    );
    expect(checkStackFile(text, "Pulumi.dup.yaml", "dup")).toEqual({
      ok: false,
      problems: [
        "Pulumi.dup.yaml:3:3: Map keys must be unique (the engine refuses it too; fix the YAML)",
      ],
    });
  });

  it("a whole setting as a secret says which and what to do, in one line", () => {
    const text = "config:\n  swarmlab:cidr:\n    secure: AAABAxyz\n";
    expect(checkStackFile(text, "Pulumi.sec.yaml", "sec")).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^Pulumi\.sec\.yaml: swarmlab:cidr is a secret \(secure:\)/),
      ],
    });
  });
});
