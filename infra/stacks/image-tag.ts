/**
 * The tag of an image built from a stack's build context: a hash of the context's files (paths
 * and bytes). The same context always gives the same tag and any change gives another, so an
 * unchanged context builds and pushes nothing and its stack's compose text does not change.
 */
import { createHash } from "crypto";
import type { ContextFile } from "./catalog";

export const TAG_PREFIX = "ctx-";
const HASH_CHARS = 16;

export function contextTag(files: readonly ContextFile[]): string {
  if (files.length === 0) throw new Error("a build context without files has no image to build");
  const hash = createHash("sha256");
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    // Lengths first: no two different contexts serialise to the same bytes.
    hash.update(`${Buffer.byteLength(file.path)}:${file.path}\0${file.content.length}:`);
    hash.update(file.content);
  }
  return `${TAG_PREFIX}${hash.digest("hex").slice(0, HASH_CHARS)}`;
}
