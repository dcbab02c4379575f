/**
 * Run in every unit and template test file after jest's own set-up (jest.config.js
 * setupFilesAfterEnv). It removes three costs that the Pulumi SDK pays under jest and not under the
 * engine's language host; none changes what a test sees of the program or the SDK.
 *
 * 1. Stack traces. The SDK takes `new Error().stack` for every promise it makes
 *    (@pulumi/pulumi runtime/debuggable.js, debuggablePromise), thousands per program run. Jest
 *    installs source-map-support in each test file with Error.stackTraceLimit = 100
 *    (jest-runner build/runTest.js, jest-environment-node), so each of those strings mapped up to
 *    100 frames through source maps, the SDK's own .js.map files included: a third of a program
 *    test's CPU. Those records of the SDK's are now printed as V8 prints a stack, unmapped; in
 *    every other stack, frames in node_modules and Node's internals are printed as V8 prints them
 *    and frames of the project's TypeScript still go through jest's mapping, so a failure still
 *    points at the line of the .ts file. A record keeps the 10 frames Node's default
 *    Error.stackTraceLimit gives it under the language host, not the 100 jest allows: printing
 *    the other 90 of each (CallSite toString) cost about 1 s of CPU per file that runs the
 *    program (profiled, 2026-12-02).
 * 2. TypeScript. The SDK's closure serializer parses each function it serialises with the
 *    `typescript` package (runtime/closure/parseFunction.js, through typescript-shim.js). Under
 *    the language host Node loads it once per process; here each test file that serialises a
 *    dynamic provider (every file that runs the program) compiled its 9 MB again in its own module
 *    registry (about 1 s of CPU each, profiled; 145 MB more peak RSS over five such files). It
 *    is loaded by Node's own loader instead, once per worker, and every file gets that one copy:
 *    the same package at the same path, stateless for the parsing the serializer asks of it.
 * 3. Inspector sessions. Serialising a dynamic provider (ManagerStep) opens an inspector session
 *    and enables the debugger once per copy of the SDK (runtime/closure/v8Hooks.js) and never
 *    closes it; each test file loads its own copy, so a worker gathered one open session per file,
 *    each told of every script compiled after it. The sessions a file opened are closed after it.
 */
import * as inspector from "node:inspector";

type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** A frame whose file jest transformed (the project's TypeScript), so has a source map. */
function isProjectFrame(frame: NodeJS.CallSite): boolean {
  const file = frame.getFileName() ?? "";
  return file.startsWith("/") && !file.includes("/node_modules/");
}

/**
 * The SDK's own record of where a promise was made (debuggable.js stores it on the promise, to
 * name leaked promises when the process exits): no test reads it, none fails on it.
 */
function isPromiseRecord(frames: NodeJS.CallSite[]): boolean {
  const top = frames[0];
  return (
    top?.getFunctionName() === "debuggablePromise" &&
    (top.getFileName() ?? "").endsWith("/@pulumi/pulumi/runtime/debuggable.js")
  );
}

/** Node's default Error.stackTraceLimit: as many frames as the language host's process records. */
export const NODE_STACK_TRACE_LIMIT = 10;

/**
 * `mapped` (source-map-support's prepareStackTrace) for the project's frames only, the others as
 * V8 formats a call site; the same text as before for the project's frames. The SDK's promise
 * records are not mapped at all, and keep the frames Node's default limit keeps.
 */
export function projectMappedStackTrace(mapped: PrepareStackTrace): PrepareStackTrace {
  return (error, allFrames) => {
    const header = `${error.name || "Error"}: ${error.message || ""}`;
    const record = isPromiseRecord(allFrames);
    const frames = record ? allFrames.slice(0, NODE_STACK_TRACE_LIMIT) : allFrames;
    const project = record ? [] : frames.filter(isProjectFrame);
    const mappedLines =
      project.length === 0
        ? []
        : String(mapped(error, project)).slice(header.length).split("\n    at ").slice(1);
    let next = 0;
    const lines = frames.map((frame) =>
      project.length > 0 && isProjectFrame(frame) ? mappedLines[next++] : String(frame),
    );
    return header + lines.map((line) => `\n    at ${line}`).join("");
  };
}

const mapped = Error.prepareStackTrace as PrepareStackTrace | undefined;
if (mapped) Error.prepareStackTrace = projectMappedStackTrace(mapped);

// jest's `module` core module is Node's, but for createRequire (jest-runtime
// _getMockedNativeModule): its _load is Node's loader, whose cache outlives each test file.
const nodeLoader = // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("node:module") as { _load(request: string, parent: null, isMain: boolean): unknown })
    ._load;
const typescriptPath = require.resolve("typescript");
jest.mock("typescript", () => nodeLoader(typescriptPath, null, false));

const opened: inspector.Session[] = [];
const connect = inspector.Session.prototype.connect;
inspector.Session.prototype.connect = function (this: inspector.Session) {
  opened.push(this);
  connect.call(this);
};

afterAll(() => {
  inspector.Session.prototype.connect = connect;
  for (const session of opened.splice(0)) session.disconnect();
});
