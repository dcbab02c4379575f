// Five projects: `unit` (Pulumi mocks, pure functions), `templates` (rendered node files checked
// by the real cloud-init and shellcheck), `browser` (the class dashboard in the real headless
// Chromium, run with test:browser: `npm test` needs no browser), `images` (checks inside the node
// images: Docker and root, run with test:images) and `system` (real Docker, slow: test:system).
// Each file is transpiled on its own (test/tsconfig.json: isolatedModules): type-checking every
// test file again in every worker cost most of the suite's time; `npm run typecheck` checks them.
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.json" }] };
// `npm test` (unit, templates) strips the types with swc instead: the same per-file transpile,
// without loading the TypeScript compiler into every worker. On a fresh clone (CI, no jest cache)
// ts-jest's transpiling made up to a quarter of the suite's CPU; with swc a cold cache costs about
// what a warm one does. The options are the root tsconfig.json's as swc spells them (ES2022,
// CommonJS with esModuleInterop, class fields defined as ES2022 defines them); the code uses no
// decorators, enums or namespaces, which swc and tsc could emit differently.
const swc = {
  "^.+\\.ts$": [
    "@swc/jest",
    {
      jsc: {
        parser: { syntax: "typescript" },
        target: "es2022",
        transform: { useDefineForClassFields: true },
      },
      module: { type: "commonjs" },
      sourceMaps: "inline",
    },
  ],
};
// What the Pulumi SDK costs under jest and not under the engine (stack traces mapped through
// source maps, inspector sessions left open): support/sdk-under-jest.ts says what and why.
const sdkUnderJest = ["<rootDir>/test/unit/support/sdk-under-jest.ts"];

/** @type {import('jest').Config} */
module.exports = {
  // Both cores of the 2-core machines the suite is sized for. Jest's default is one worker fewer
  // than the cores, a single worker here, which left one core idle and doubled the wall time.
  // The largest worker peaked at 0.72 GB over the whole suite (GNU time, 2026-12-02), so the two
  // together stay under 1.5 GB.
  maxWorkers: 2,
  // Each test file that runs the program loads the Pulumi SDK into its own module registry, and the
  // SDK's process-wide handlers keep every registry alive: a worker that ran ten such files held
  // ten copies (3.5 GB). Past this, jest replaces the worker after the file it just ran.
  workerIdleMemoryLimit: "700MB",
  // Tests and hooks that run the whole program under mocks take 1 to 2 s on an idle machine and
  // went past jest's default 5 s on one loaded by a system test beside them (load 8 on 2 cores). A
  // hung test still fails, after 20 s; the system test gives every test its own timeout.
  testTimeout: 20_000,
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: swc,
      setupFilesAfterEnv: sdkUnderJest,
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      displayName: "templates",
      testEnvironment: "node",
      transform: swc,
      setupFilesAfterEnv: sdkUnderJest,
      testMatch: ["<rootDir>/test/templates/**/*.test.ts"],
    },
    {
      displayName: "browser",
      testEnvironment: "node",
      transform: swc,
      setupFilesAfterEnv: sdkUnderJest,
      testMatch: ["<rootDir>/test/browser/**/*.test.ts"],
    },
    {
      displayName: "images",
      testEnvironment: "node",
      transform: tsJest,
      testMatch: ["<rootDir>/test/images/**/*.test.ts"],
    },
    {
      displayName: "system",
      testEnvironment: "node",
      transform: tsJest,
      testMatch: ["<rootDir>/test/system/**/*.test.ts"],
    },
  ],
};
