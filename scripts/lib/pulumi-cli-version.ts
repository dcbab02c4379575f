/**
 * The oldest Pulumi CLI this program runs under, and the check of `pulumi version` against it.
 *
 * 3.208.0 because of two resource options the program sets. `replaceWith` (infra/cluster.ts:
 * replacing manager-0 replaces the other servers) came to the engine in v3.207.0 (pulumi/pulumi
 * CHANGELOG.md, "## 3.207.0": "[engine] Add `ReplaceWith` resource option"); on an older CLI the
 * SDK refuses to register the resource ("The Pulumi CLI does not support the ReplaceWith
 * option", @pulumi/pulumi runtime/resource.js), so `pulumi up` fails halfway. `replacementTrigger`
 * (infra/nodes/nodes.ts: an image or flavor change replaces every server) came in v3.208.0, and
 * the SDK sends it to any CLI without asking: an older engine ignores it, and a flavor change of
 * the workers alone would leave manager-0, and so the old swarm, in place. Nothing else the
 * program uses is newer: project config `type: object` (stackExternals) came in v3.187, and
 * Pulumi.yaml's `requiredPulumiVersion` (v3.219) is not set, since an older CLI would refuse the
 * unknown key.
 */
export const MIN_PULUMI_CLI_VERSION = "3.208.0";

interface Version {
  numbers: [number, number, number];
  prerelease: boolean;
}

/** `pulumi version` prints e.g. "v3.207.0" (a dev build "v3.208.0-alpha.1731+g1234abc"). */
export function parsePulumiVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  if (match === null) return undefined;
  return {
    numbers: [Number(match[1]), Number(match[2]), Number(match[3])],
    prerelease: match[4] !== undefined,
  };
}

/** Semver order: a pre-release (3.207.0-alpha) comes before its release (3.207.0). */
function isOlder(version: Version, minimum: Version): boolean {
  for (let i = 0; i < 3; i++) {
    const a = version.numbers[i] ?? 0;
    const b = minimum.numbers[i] ?? 0;
    if (a !== b) return a < b;
  }
  return version.prerelease && !minimum.prerelease;
}

const UPGRADE =
  "upgrade it with `curl -fsSL https://get.pulumi.com | sh` (or `brew upgrade pulumi`, or the " +
  "binaries at https://www.pulumi.com/docs/install/), then check `pulumi version`";

/** Why the CLI that printed `versionOutput` will not do, with the fix; undefined if it will. */
export function pulumiVersionProblem(
  versionOutput: string,
  minimum: string = MIN_PULUMI_CLI_VERSION,
): string | undefined {
  const version = parsePulumiVersion(versionOutput);
  const needed = parsePulumiVersion(minimum);
  if (needed === undefined) throw new Error(`bad minimum version ${minimum}`);
  if (version === undefined) {
    return (
      `\`pulumi version\` printed ${JSON.stringify(versionOutput.trim())}, not a version: ` +
      `swarmlab needs Pulumi CLI v${minimum} or newer; ${UPGRADE}`
    );
  }
  if (!isOlder(version, needed)) return undefined;
  return (
    `The Pulumi CLI is ${versionOutput.trim()}, older than v${minimum}, the oldest that runs ` +
    "swarmlab (it sets the replaceWith and replacementTrigger resource options, which the " +
    "engine has since v3.207.0 and v3.208.0): " +
    UPGRADE
  );
}
