// Four projects: `unit` (Pulumi mocks, pure functions), `templates` (rendered node files checked
// by the real cloud-init and shellcheck), `images` (checks inside the node images: Docker and
// root, run with test:images) and `system` (real Docker, slow: run with test:system).
// Each file is transpiled on its own (test/tsconfig.json: isolatedModules): type-checking every
// test file again in every worker cost most of the suite's time; `npm run typecheck` checks them.
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.json" }] };

/** @type {import('jest').Config} */
module.exports = {
  // Each test file that runs the program loads the Pulumi SDK into its own module registry, and the
  // SDK's process-wide handlers keep every registry alive: a worker that ran ten such files held
  // ten copies (3.5 GB). Past this, jest replaces the worker after the file it just ran.
  workerIdleMemoryLimit: "700MB",
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: tsJest,
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      displayName: "templates",
      testEnvironment: "node",
      transform: tsJest,
      testMatch: ["<rootDir>/test/templates/**/*.test.ts"],
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
