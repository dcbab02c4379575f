/**
 * gzip + base64 for cloud-init's `write_files` `encoding: gz+b64`: it keeps the user-data far
 * below Nova's limit (the node scripts shrink to under a third).
 *
 * fflate (pure JavaScript) rather than node:zlib: the bytes must be the same on every machine
 * that runs `pulumi up` or `pulumi preview`, because a change of user-data replaces every server.
 * Node's bundled zlib picks its hash function by CPU feature, so its output may differ from one
 * machine to the next; fflate's depends only on its (pinned) version. The gzip header carries no
 * time stamp and no file name.
 */
import { gunzipSync, gzipSync } from "fflate";

/** `data` (a string is taken as UTF-8) gzipped at the best level, then base64. Deterministic. */
export function gzipBase64(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.from(gzipSync(bytes, { level: 9, mtime: 0 })).toString("base64");
}

/** The inverse of gzipBase64, for readers of rendered user-data (npm run render, tests). */
export function gunzipBase64(encoded: string): Buffer {
  return Buffer.from(gunzipSync(Buffer.from(encoded, "base64")));
}
