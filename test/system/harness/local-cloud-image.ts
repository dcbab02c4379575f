/**
 * The local cloud's node image as the program builds it (infra/local/local-lab.ts): the Dockerfile
 * of infra/local/image/, unchanged, with the login user as SSH_USER and Docker preinstalled or not
 * (DOCKER). Its BASE is the system test's debootstrap bookworm image (image/build-image.sh), the
 * stand-in for debian:bookworm, which the real build pulls from Docker Hub and which cannot be
 * pulled here. Cached by a hash of the recipe (the program's own, localImageTag), the base image
 * and DOCKER, like the other harness images: a change of either rebuilds it.
 */
import { createHash } from "node:crypto";
import { LOCAL_IMAGE_DIR, localImageTag } from "../../../infra/local/local-lab";
import { CachedImage, ensureImage, nodeImage, removeOtherTags } from "./cached-image";
import { docker } from "./docker";
import { runOk } from "./process";
import { DEBIAN_12 } from "./releases";

/** The Dockerfile's DOCKER build arg: no Docker (cloud-init installs it) or Debian's docker.io. */
export type LocalImageDocker = "none" | "docker.io";

/** apt in the build: about 35 s with docker.io here; room for a slow mirror. */
const BUILD_TIMEOUT_MS = 10 * 60_000;

export async function ensureLocalCloudImage(
  dockerArg: LocalImageDocker,
  sshUser: string,
): Promise<CachedImage> {
  const base = await ensureImage(nodeImage(DEBIAN_12));
  const repository = `swarmlab-local-node-${dockerArg === "none" ? "plain" : "docker"}`;
  const hash = createHash("sha256")
    .update(JSON.stringify([localImageTag(sshUser), base.tag, dockerArg]))
    .digest("hex")
    .slice(0, 16);
  const tag = `${repository}:${hash}`;
  if ((await docker(["image", "inspect", tag])).exitCode === 0) return { tag, cached: true };
  // The legacy builder: this machine's docker CLI has no buildx plugin (BuildKit's client).
  await runOk(
    "env",
    [
      "DOCKER_BUILDKIT=0",
      "docker",
      "build",
      "--quiet",
      "--build-arg",
      `BASE=${base.tag}`,
      "--build-arg",
      `DOCKER=${dockerArg}`,
      "--build-arg",
      `SSH_USER=${sshUser}`,
      "--tag",
      tag,
      LOCAL_IMAGE_DIR,
    ],
    { timeoutMs: BUILD_TIMEOUT_MS },
  );
  await removeOtherTags(repository, tag);
  return { tag, cached: false };
}
