/**
 * Files that hold keys, written so that no other user can read them at any moment. A plain
 * `writeFileSync(path, data, { mode })` applies the mode only when it creates the file: an
 * existing 0644 file keeps 0644 (a later chmod leaves a window), and a symlink or hard link
 * planted at the path is written through. Here every file is a NEW inode, opened exclusively
 * with its final mode and renamed over the path, so neither an old mode nor a link survives.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import * as path from "node:path";

/** Writes `content` to `file` with exactly `mode` from its first byte. */
export function writeFileWithMode(file: string, content: string | Buffer, mode: number): void {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`,
  );
  // "wx": fails rather than open something already there (a link planted at the temp name).
  const fd = openSync(temp, "wx", mode);
  try {
    // The umask can only remove bits from `mode`; fchmod makes it exact (a 0644 CA stays 0644).
    fchmodSync(fd, mode);
    const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

/** A key file: 0600. */
export function writePrivateFile(file: string, content: string | Buffer): void {
  writeFileWithMode(file, content, 0o600);
}

/**
 * A folder only its owner can enter (0700), created so or tightened if it exists. A symlink in
 * its place is refused: the keys would land wherever it points.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link: refusing`);
  chmodSync(dir, 0o700);
}
