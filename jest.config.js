// Three projects: `unit` (Pulumi mocks, pure functions), `templates` (rendered node files checked
// by the real cloud-init and shellcheck) and `system` (real Docker, slow: run with test:system).
// Each file is transpiled on its own (test/tsconfig.json: isolatedModules): type-checking every
// test file again in every worker cost most of the suite's time; `npm run typecheck` checks them.
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.json" }] };

/** @type {import('jest').Config} */
module.exports = {
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
      displayName: "system",
      testEnvironment: "node",
      transform: tsJest,
      testMatch: ["<rootDir>/test/system/**/*.test.ts"],
    },
  ],
};
