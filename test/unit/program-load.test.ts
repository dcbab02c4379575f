/**
 * The program as `pulumi preview` and `pulumi up` load it: through the SDK's own language-host
 * entry (@pulumi/pulumi/cmd/run/run.js, driven by support/langhost-run.cjs in a child process),
 * from the folder Pulumi.yaml's `main` names, with the TypeScript options run.js computes there
 * and ts-node type-checking every file, and config in the environment as the language host puts
 * it. The in-process tests compile with the root tsconfig and jest's transformer, which is how a
 * program that never compiled under the engine passed them all (issue 21: TS2550, `Object.hasOwn`
 * under ts-node's default lib es2021, because infra/ had no tsconfig.json).
 *
 * The resource monitor is the SDK's mock monitor (no engine can run here), answered by the same
 * mock cloud as the other program tests.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { engineConfig } from "../../scripts/lib/engine-config";
import { names, swarmStdout } from "./support/mock-cloud";

const ROOT = path.join(__dirname, "..", "..");

interface LoadResult {
  resources: { type: string; name: string }[];
  outputs: string[];
  cwd: string;
  /** The process's exit status and what it printed on stderr (errors, TS diagnostics). */
  status: number | null;
  stderr: string;
}

/** `main` from Pulumi.yaml: the folder the language host runs the program in (its --pwd). */
function mainFolder(): string {
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    main?: string;
  };
  return path.resolve(ROOT, project.main ?? ".");
}

async function loadAsLanguageHost(stack: string, preview: boolean): Promise<LoadResult> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "langhost-"));
  const config = Object.fromEntries(
    Object.entries(engineConfig(stack, { allowedCidrs: JSON.stringify(["203.0.113.0/24"]) })).map(
      ([key, value]) => [`swarmlab:${key}`, value],
    ),
  );
  const stdout = Object.fromEntries(
    Object.entries(swarmStdout(names(stack, 1, 2))).map(([suffix, print]) => [suffix, print({})]),
  );
  const out = path.join(folder, "out.json");
  try {
    // The language host's command line (sdk/nodejs/cmd/pulumi-language-nodejs): the SDK's
    // cmd/run entry with the monitor, project, stack, organization, --pwd and the program ".".
    const args = [
      "-r",
      path.join(__dirname, "support/langhost-run.cjs"),
      require.resolve("@pulumi/pulumi/cmd/run/index.js"),
      ...["--monitor", "mock", "--project", "swarmlab", "--stack", stack],
      ...["--organization", "organization", "--pwd", mainFolder()],
      ...(preview ? ["--dry-run", "true"] : []),
      ".",
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        PULUMI_NODEJS_TYPESCRIPT: "true",
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: "[]",
        SWARMLAB_LANGHOST_OUT: out,
        SWARMLAB_LANGHOST_STDOUT: JSON.stringify(stdout),
        // run.js's own switch: type-check once (the preview), the same files need no second check.
        ...(preview ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: "true" }),
      },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 150_000,
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve(code));
    });
    const seen = fs.existsSync(out)
      ? (JSON.parse(fs.readFileSync(out, "utf8")) as Omit<LoadResult, "status" | "stderr">)
      : { resources: [], outputs: [], cwd: "" };
    return { ...seen, status, stderr };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

// Both processes start at once, each on its own (its own folder and output, nothing shared): the
// preview's type-check and the update's load use both cores instead of one after the other.
const loads = new Map<boolean, Promise<LoadResult>>([
  [true, loadAsLanguageHost("alice", true)],
  [false, loadAsLanguageHost("alice", false)],
]);
// A failure to start is reported by the beforeAll that awaits it, not as an unhandled rejection.
for (const load of loads.values()) load.catch(() => undefined);

describe.each([
  ["pulumi preview", true],
  ["pulumi up", false],
])("the program under the Node language host (%s)", (_label, preview) => {
  let result: LoadResult;
  beforeAll(async () => {
    result = await (loads.get(preview) as Promise<LoadResult>);
  }, 160_000);

  // The preview type-checks every file as ts-node does by default; the update transpiles only
  // (PULUMI_NODEJS_TRANSPILE_ONLY, read by run.js), the options being the same.
  it("compiles with the tsconfig of Pulumi.yaml's main folder, runs there, and ends well", () => {
    expect(result.stderr).not.toMatch(/error|TS\d{4}/i);
    expect(result.status).toBe(0);
    expect(result.cwd).toBe(mainFolder());
  });

  it("registers the cluster: servers, the swarm steps, the registry", () => {
    const named = result.resources.map((r) => r.name);
    expect(named).toEqual(
      expect.arrayContaining([
        "alice-manager-0-server",
        "alice-worker-0-server",
        "alice-worker-1-server",
        "alice-bootstrap-tokens",
        "alice-ready-check",
      ]),
    );
    // The root Stack resource run.js makes, as under the engine.
    expect(result.resources[0]).toEqual({ type: "pulumi:pulumi:Stack", name: "swarmlab-alice" });
  });

  it("returns the stack outputs a teacher and a student read", () => {
    expect(result.outputs).toEqual(
      expect.arrayContaining(["managerPublicIp", "nodes", "registry", "sshCommand"]),
    );
  });
});
