// Four projects: `unit` (Pulumi mocks, pure functions), `templates` (rendered node files checked
// by the real cloud-init and shellcheck), `images` (checks inside the node images: Docker and
// root, run with test:images) and `system` (real Docker, slow: run with test:system).
const tsJest = { "^.+\\.ts$": ["ts-jest", { diagnostics: { warnOnly: false } }] };

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
