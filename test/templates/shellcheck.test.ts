import * as fs from "fs";
import * as path from "path";
import { TEMPLATES_DIR, templateFile } from "../../infra/nodes/templates";
import { requireTool, run } from "./tools";

const scripts = fs
  .readdirSync(TEMPLATES_DIR)
  .filter((name) => name.endsWith(".sh"))
  .sort();
/** Sourced or sent before a script, never run alone: lib.sh, lib-*.sh. */
const isLibrary = (name: string) => /^lib(-[a-z-]+)?\.sh$/.test(name);

beforeAll(() => requireTool("shellcheck", "shellcheck"));

describe("node scripts", () => {
  it("are all there", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "lib.sh",
        "storage-prepare.sh",
        "docker-install.sh",
        "swarm-up.sh",
        "swarm-bootstrap.sh",
        "swarm-ready.sh",
        "swarm-remove-node.sh",
        "swarm-rotate-tokens.sh",
      ]),
    );
  });

  it.each(scripts)("%s passes shellcheck (following lib.sh)", (name) => {
    const result = run("shellcheck", [
      "--external-sources",
      "--shell=bash",
      path.join(TEMPLATES_DIR, name),
    ]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
      status: 0,
      output: "",
    });
  });

  it.each(scripts.filter((name) => !isLibrary(name)))(
    "%s runs with set -euo pipefail and never set -x",
    (name) => {
      const text = templateFile(name);
      expect(text).toMatch(/^set -euo pipefail$/m);
      expect(text).not.toMatch(/^\s*(set -[a-z]*x|set -o xtrace|bash -x)/m);
    },
  );

  it.each(scripts.filter(isLibrary))(
    "%s never turns on tracing (callers hold the join token, the registry password)",
    (name) => {
      expect(templateFile(name)).not.toMatch(/^\s*(set -[a-z]*x|set -o xtrace)/m);
    },
  );
});
