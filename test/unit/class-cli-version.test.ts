import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pulumiCliProblem } from "../../scripts/class/cli-check";
import { main } from "../../scripts/class/main";
import {
  MIN_PULUMI_CLI_VERSION,
  parsePulumiVersion,
  pulumiVersionProblem,
} from "../../scripts/lib/pulumi-cli-version";

// Issue 21, item 6. `replaceWith` came to the engine in v3.207.0 (pulumi/pulumi CHANGELOG.md),
// and @pulumi/pulumi runtime/resource.js throws "The Pulumi CLI does not support the
// ReplaceWith option" when the CLI's resource monitor does not report the feature;
// `replacementTrigger` came in v3.208.0 and an older engine ignores it without a word.
describe("the minimum Pulumi CLI", () => {
  it("is v3.208.0, the first with replaceWith and replacementTrigger, and the README names it", () => {
    expect(MIN_PULUMI_CLI_VERSION).toBe("3.208.0");
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    expect(readme).toContain(`**v${MIN_PULUMI_CLI_VERSION} or newer**`);
    expect(readme).not.toContain("released after December 2025");
  });

  it.each(["v3.208.0", "v3.208.0\n", "v3.270.0", "v3.1000.0", "v4.0.0", "v3.209.0-alpha.17+g1"])(
    "accepts %j",
    (printed) => expect(pulumiVersionProblem(printed)).toBeUndefined(),
  );

  it.each(["v3.207.0", "v3.99.0", "v2.25.2", "v3.208.0-alpha.1731+dirty"])(
    "refuses %j, with the fix",
    (printed) =>
      expect(pulumiVersionProblem(printed)).toBe(
        `The Pulumi CLI is ${printed}, older than v3.208.0, the oldest that runs swarmlab (it ` +
          "sets the replaceWith and replacementTrigger resource options, which the engine has " +
          "since v3.207.0 and v3.208.0): upgrade " +
          "it with `curl -fsSL https://get.pulumi.com | sh` (or `brew upgrade pulumi`, or the " +
          "binaries at https://www.pulumi.com/docs/install/), then check `pulumi version`",
      ),
  );

  it("refuses what is not a version", () => {
    expect(parsePulumiVersion("warning: A new version of Pulumi is available")).toBeUndefined();
    expect(pulumiVersionProblem("no version here")).toMatch(
      /^`pulumi version` printed "no version here", not a version: swarmlab needs Pulumi CLI v3\.208\.0 or newer/,
    );
  });

  it("says how to install a CLI that is not on PATH", async () => {
    const enoent = Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
    await expect(pulumiCliProblem(() => Promise.reject(enoent))).resolves.toMatch(
      /not on PATH: install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/,
    );
  });
});

describe("npm run class with an old Pulumi CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-cli-"));
    fs.writeFileSync(
      path.join(dir, "class.yaml"),
      "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\nstudents: [alice]\n",
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(["up", "preview", "destroy", "refresh", "status", "outputs"])(
    "%s refuses before anything else, naming the minimum",
    async (verb) => {
      const errors: string[] = [];
      const spy = jest.spyOn(console, "error").mockImplementation((line: unknown) => {
        errors.push(String(line));
      });
      try {
        // No stack file exists: a run that got past the version check would say so instead.
        const code = await main([verb], dir, () => Promise.resolve("v3.206.0\n"));
        expect(code).toBe(2);
        expect(errors).toEqual([
          expect.stringMatching(/^The Pulumi CLI is v3\.206\.0, older than v3\.208\.0/),
        ]);
      } finally {
        spy.mockRestore();
      }
    },
  );

  it("init needs no Pulumi CLI", async () => {
    const logs = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const version = jest.fn(() => Promise.resolve("v3.1.0"));
      expect(await main(["init"], dir, version)).toBe(0);
      expect(version).not.toHaveBeenCalled();
    } finally {
      logs.mockRestore();
    }
  });
});
