/**
 * Images the system test builds itself (nothing can be pulled here), each from a recipe directory
 * holding a build script. The tag is a hash of the recipe's files, so an image is rebuilt exactly
 * when its recipe changes and reused otherwise.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { docker } from "./docker";
import { pipe, runOk } from "./process";
import type { NodeRelease } from "./releases";

export interface CachedImage {
  tag: string;
  /** False when this call had to build the image. */
  cached: boolean;
}

interface Recipe {
  /** Directory under test/system holding `script` (and anything else the hash should cover). */
  dir: string;
  script: string;
  /** Arguments after the tag; part of the hash, so each variant is cached on its own. */
  args: readonly string[];
  repository: string;
  buildTimeoutMs: number;
}

const SYSTEM_TEST_DIR = resolve(__dirname, "..");

/** The "cloud image" the nodes boot: Debian + systemd + cloud-init + sshd, no Docker. */
export function nodeImage(release: NodeRelease): Recipe {
  return {
    dir: "image",
    script: "build-image.sh",
    args: [release.codename],
    // One repository per release: a rebuild of one release's image never evicts the other's.
    repository: `swarmlab-node-${release.codename}`,
    // debootstrap + apt in a chroot took 65-90 s here; leave room for a slower mirror.
    buildTimeoutMs: 15 * 60_000,
  };
}

/** The swarm service the checks deploy: busybox httpd. */
export const SERVICE_IMAGE: Recipe = {
  dir: "service-image",
  script: "build-service-image.sh",
  args: [],
  repository: "swarmlab-service",
  buildTimeoutMs: 5 * 60_000,
};

/**
 * The system test's one image for the upstream images it cannot pull: as built, the stand-in for
 * registry:2 (Debian 12 minbase + Debian's docker-registry); it carries the stacks' packages too
 * (busybox, redis-server, python3-flask/-redis/-pip, haproxy), and harness/stack-images.ts commits
 * the stacks' stand-ins from it. One debootstrap on a cold machine instead of two.
 */
export const REGISTRY_IMAGE: Recipe = {
  dir: "registry-image",
  script: "build-registry-image.sh",
  args: [],
  repository: "swarmlab-registry",
  // debootstrap + docker-registry, python3, redis, haproxy: 103 s here from nothing on an idle
  // machine (230 MB); the two images it replaces took ~65 s and 2-6 min. Room for a slow mirror.
  buildTimeoutMs: 12 * 60_000,
};

/** Hash of every file of the recipe directory, in name order, and of the script's arguments. */
export function recipeHash(recipe: Recipe): string {
  const dir = join(SYSTEM_TEST_DIR, recipe.dir);
  const hash = createHash("sha256").update(JSON.stringify(recipe.args)).update("\0");
  for (const file of readdirSync(dir).sort()) {
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(dir, file)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

export async function ensureImage(recipe: Recipe): Promise<CachedImage> {
  const tag = `${recipe.repository}:${recipeHash(recipe)}`;
  const present = await docker(["image", "inspect", tag]);
  if (present.exitCode === 0) return { tag, cached: true };
  await runOk("bash", [join(SYSTEM_TEST_DIR, recipe.dir, recipe.script), tag, ...recipe.args], {
    timeoutMs: recipe.buildTimeoutMs,
  });
  await removeOtherTags(recipe.repository, tag);
  return { tag, cached: false };
}

/** Images of older recipes are never used again; a ~490 MB node image each adds up. */
export async function removeOtherTags(repository: string, keep: string): Promise<void> {
  const listed = await runOk("docker", [
    "images",
    repository,
    "--format",
    "{{.Repository}}:{{.Tag}}",
  ]);
  const stale = listed.split("\n").filter((tag) => tag !== "" && tag !== keep);
  // Best effort: an old image still used by a container of a live run stays until next time.
  if (stale.length > 0) await docker(["rmi", ...stale]);
}

/** Loads a host image into a node's own Docker, as a registry pull would (none is reachable). */
export async function preloadImage(tag: string, container: string): Promise<void> {
  await pipe(["docker", ["save", tag]], ["docker", ["exec", "-i", container, "docker", "load"]]);
}
