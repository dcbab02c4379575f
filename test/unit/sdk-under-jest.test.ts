/**
 * What support/sdk-under-jest.ts, run before every unit and template test file, leaves of the
 * stacks: the SDK's records of where its promises were made keep the frames they keep under the
 * language host, and a failure in the project's code still shows jest's deep, source-mapped stack.
 */
import * as fs from "node:fs";
import { NODE_STACK_TRACE_LIMIT } from "./support/sdk-under-jest";

/** `at()` called `depth` frames below this one. */
function nested<T>(depth: number, at: () => T): T {
  return depth === 0 ? at() : nested(depth - 1, at);
}

it("keeps Node's default 10 frames of the SDK's record of where a promise was made", async () => {
  // The SDK's own function, as every resource registration calls it (runtime/debuggable.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T>;
  };
  const made = Promise.resolve("done");
  const settled = nested(30, () => debuggablePromise(made, "a test's promise"));
  const record = (made as unknown as { _debugStackTrace: string })._debugStackTrace;
  expect(record.split("\n    at ")).toHaveLength(NODE_STACK_TRACE_LIMIT + 1);
  expect(record).toMatch(
    /^Error: \n {4}at debuggablePromise .*\/@pulumi\/pulumi\/runtime\/debuggable\.js:/,
  );
  expect(await settled).toBe("done");
});

it("still maps a failure in the project's TypeScript to its .ts line, past 10 frames", () => {
  const stack = nested(30, () => new Error("a failing assertion").stack ?? ""); // THE LINE
  const line =
    fs
      .readFileSync(__filename, "utf8")
      .split("\n")
      .findIndex((l) => l.endsWith("// THE LINE")) + 1;
  expect(stack).toContain(`sdk-under-jest.test.ts:${line}:`);
  expect(stack.split("\n    at ").length).toBeGreaterThan(30);
});

it("gives the SDK's closure serializer the one copy of typescript Node loaded for the worker", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parser = require("@pulumi/pulumi/typescript-shim") as unknown;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeCache = (require("node:module") as { _cache: Record<string, { exports: unknown }> })
    ._cache;
  expect(nodeCache[require.resolve("typescript")]?.exports).toBe(parser);
});
