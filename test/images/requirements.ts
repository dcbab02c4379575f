/**
 * What the images suite needs, checked before anything runs: a missing piece FAILS the suite
 * with what to install or how to run it, never skips it (issue 25).
 */
import { spawnSync } from "child_process";

export function requireDockerAndRoot(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    problems.push("it must run as root (debootstrap builds the Debian 13 node image)");
  }
  if (spawnSync("sh", ["-c", "command -v debootstrap"]).status !== 0) {
    problems.push("debootstrap is not installed: apt-get install debootstrap");
  }
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (info.error !== undefined) {
    problems.push("docker is not installed: apt-get install docker.io");
  } else if (info.status !== 0) {
    problems.push(
      `dockerd does not answer (start it, e.g. \`dockerd &\` as .ci/run does): ${info.stderr.trim()}`,
    );
  }
  if (problems.length > 0) {
    throw new Error(
      `npm run test:images cannot run here: ${problems.join("; ")}. ` +
        "npm test needs none of this; the images suite does, and fails rather than skip.",
    );
  }
}
