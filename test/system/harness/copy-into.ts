/**
 * Files into a container, created or running, without leaving anything on the host: a tar stream
 * of a staging tree into `docker cp`, so parent directories are created as needed and every
 * entry is owned by root, as files of an image or a config drive are.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipe } from "./process";

export interface FileToCopy {
  /** Absolute path inside the container. */
  path: string;
  content: string;
}

export async function copyIntoContainer(container: string, files: FileToCopy[]): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), "swarmlab-copy-"));
  try {
    for (const file of files) {
      const target = join(staging, file.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, file.content, { mode: 0o644 });
    }
    // Top-level names only: "." would carry the staging directory's 0700 onto the container's /.
    const topLevel = [...new Set(files.map((file) => file.path.split("/").filter(Boolean)[0]))];
    await pipe(
      ["tar", ["--owner=0", "--group=0", "-C", staging, "-c", ...topLevel]],
      ["docker", ["cp", "-", `${container}:/`]],
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
