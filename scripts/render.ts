/**
 * npm run render -- --stack <name> [--out <dir>]
 *
 * Writes what each node of a stack will get (user-data, daemon.json, metadata) to a folder,
 * from Pulumi.<name>.yaml over Pulumi.yaml's declared defaults (merged as the engine merges them):
 * no credentials, no OpenStack, no Pulumi CLI. For a teacher who wants to read exactly what the
 * VMs will run before `pulumi up`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseLabConfig } from "../infra/config/validate";
import { labStackChecks } from "../infra/stacks/validate-stacks";
import { engineConfig, EngineConfigError } from "./lib/engine-config";
import { renderStackFiles } from "./lib/offline-render";
import { StackFileError, stackConfigFromYaml } from "./lib/stack-config";

const USAGE = "usage: npm run render -- --stack <name> [--out <dir>]";

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: { stack: { type: "string" }, out: { type: "string" } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.stack) {
    console.error(USAGE);
    return 2;
  }
  const stackFile = `Pulumi.${values.stack}.yaml`;
  if (!fs.existsSync(stackFile)) {
    console.error(`${stackFile} not found (run from the project folder; see Pulumi.example.yaml)`);
    return 2;
  }
  // What the program would read under `pulumi up`: the stack's keys over Pulumi.yaml's defaults.
  let raw;
  try {
    raw = engineConfig(
      values.stack,
      stackConfigFromYaml(fs.readFileSync(stackFile, "utf8"), stackFile),
    );
  } catch (error) {
    if (error instanceof StackFileError) {
      console.error(error.message);
      return 1;
    }
    if (!(error instanceof EngineConfigError)) throw error;
    console.error(`${stackFile}: pulumi would stop here too, before the program runs:`);
    for (const problem of error.problems) console.error(`  - ${problem}`);
    return 1;
  }
  const result = parseLabConfig(raw, values.stack, labStackChecks);
  if (!result.ok) {
    console.error(`${stackFile} has ${result.problems.length} problem(s):`);
    for (const p of result.problems) console.error(`  - swarmlab:${p.key}: ${p.reason}`);
    return 1;
  }
  for (const warning of result.warnings) console.warn(`warning: swarmlab:${warning}`);
  const outDir = values.out ?? path.join("rendered", values.stack);
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const file of renderStackFiles(result.config)) {
    const target = path.join(outDir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
    console.log(`wrote ${target} (${Buffer.byteLength(file.content)} bytes)`);
  }
  return 0;
}

process.exitCode = main();
