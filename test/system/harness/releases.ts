/**
 * The Debian releases the system test boots its nodes from. Each is a node image of its own (the
 * recipe in image/ takes the codename) and each names the Glance image a test stack asks for, so
 * a scenario run on a release is the stack a teacher would write for that cloud image.
 */
export interface NodeRelease {
  /** debootstrap's suite name; also names the cached node image. */
  codename: "bookworm" | "trixie";
  /** How reports and test titles name it. */
  label: string;
  /** The `swarmlab:image` of a test stack on this release. */
  image: string;
}

/** cloud-init 22.4, docker.io 20.10 (dockerd and the CLI in one package). */
export const DEBIAN_12: NodeRelease = {
  codename: "bookworm",
  label: "Debian 12",
  image: "Debian 12",
};

/** cloud-init 25.1, docker.io 26.1 without the CLI, which is its own package, docker-cli. */
export const DEBIAN_13: NodeRelease = {
  codename: "trixie",
  label: "Debian 13",
  image: "Debian 13",
};

/** Releases every multi-release scenario runs on, oldest first. */
export const PROVEN_RELEASES: readonly NodeRelease[] = [DEBIAN_12, DEBIAN_13];
