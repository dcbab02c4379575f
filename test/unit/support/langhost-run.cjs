// Preload for running the program exactly as the Node language host runs it under `pulumi
// preview` / `pulumi up`: the test starts the SDK's own entry point with the language host's
// arguments,
//   node -r langhost-run.cjs @pulumi/pulumi/cmd/run/index.js --monitor mock --project swarmlab
//        --stack S --organization O --pwd <main folder> [--dry-run true] .
// and cmd/run does the rest as under the engine: switches to --pwd, reads tsconfig.json there (or
// falls back to ts-node's defaults), registers ts-node with the options it computes (type-checking
// every file it loads), and runs the entry point inside the root Stack resource. Config comes in
// PULUMI_CONFIG, a JSON map of "swarmlab:key" to text, as the language host sets it.
//
// The one stand-in: no engine can run here, so this preload installs the SDK's mock monitor
// (monitor address "mock" is how the SDK itself selects it, runtime/settings.js getMonitor),
// answered by the same mock cloud as the in-process tests (mock-cloud.ts, required only once
// cmd/run has registered ts-node, like any .ts file of the program). It writes what the monitor
// saw to $SWARMLAB_LANGHOST_OUT when the process exits: { resources: [{ type, name }], outputs }.
// Plain JavaScript: nothing but Node may compile this file, or it would change how ts-node is set up.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..", "..", "..");
const out = process.env.SWARMLAB_LANGHOST_OUT;
const preview = process.argv.includes("--dry-run");
const stack = process.argv[process.argv.indexOf("--stack") + 1];
const stdout = JSON.parse(process.env.SWARMLAB_LANGHOST_STDOUT || "{}");
const printers = Object.fromEntries(Object.entries(stdout).map(([k, v]) => [k, () => v]));

const pulumi = require(path.join(root, "node_modules/@pulumi/pulumi"));
const resources = [];
let outputs = [];
let cloud;
const mockCloud = () => (cloud ??= require(path.join(__dirname, "mock-cloud.ts")));
const counters = { nextHost: 10, nextFloating: 10 };

void pulumi.runtime
  .setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name });
        // A preview of a create: the inputs come back, everything the provider computes unknown.
        if (preview) return { id: undefined, state: { ...args.inputs } };
        const computed = mockCloud().mockOutputs(args, counters, printers, {});
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
      },
      call: (args) => mockCloud().mockInvoke(args),
    },
    "swarmlab",
    stack,
    preview,
    "organization",
  )
  .then(() => {
    const monitor = pulumi.runtime.getMonitor();
    // The engine's monitor answers SignalAndWaitForShutdown (proto/pulumi/resource.proto) when the
    // program ends; the SDK's mock monitor lacks it. Nothing is pending here, so answer at once.
    monitor.signalAndWaitForShutdown = (_req, callback) => callback(null, {});
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, callback) => {
      if (req.getUrn().includes("::pulumi:pulumi:Stack::")) {
        outputs = Object.keys(req.getOutputs()?.toJavaScript() ?? {});
      }
      return registerOutputs(req, callback);
    };
  });

process.on("exit", () => {
  if (out) fs.writeFileSync(out, JSON.stringify({ resources, outputs, cwd: process.cwd() }));
});
