/**
 * A minimal, deterministic POSIX ustar archive: the node scripts travel in user-data as ONE
 * gzipped tar, because gzip finds the repetitions across scripts (lib.sh's helpers are called by
 * all of them) that a gzip per file cannot see: about 14.5 KB instead of 17 KB compressed.
 * Every header field that could vary (owner names, times) is fixed, so the same files give the
 * same bytes on every machine. GNU tar (Essential on Debian and Ubuntu) extracts it.
 */

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive, relative, at most 100 bytes (no prefix field used). */
  name: string;
  /** e.g. 0o755 */
  mode: number;
  content: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  if (Buffer.byteLength(entry.name) > 100 || entry.name.startsWith("/")) {
    throw new Error(`tar entry name ${JSON.stringify(entry.name)}: relative, at most 100 bytes`);
  }
  const block = Buffer.alloc(BLOCK);
  block.write(entry.name, 0, "utf8");
  block.write(octal(entry.mode, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii"); // uid root
  block.write(octal(0, 8), 116, "ascii"); // gid root
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(0, 12), 136, "ascii"); // mtime: extract with `tar -m` to get the real time
  block.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  block.write("0", 156, "ascii"); // regular file
  block.write("ustar\0" + "00", 257, "ascii");
  block.write("root", 265, "ascii");
  block.write("root", 297, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

/** The archive of `entries`, in the given order. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.content, "utf8");
    parts.push(
      header(entry, data.length),
      data,
      Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK),
    );
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end of archive
  return Buffer.concat(parts);
}

/** The entries of an archive `tar` made: for readers of rendered user-data (render, tests). */
export function untar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length && archive[offset] !== 0) {
    const field = (start: number, length: number) =>
      archive.toString("utf8", offset + start, offset + start + length).replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12), 8);
    const start = offset + BLOCK;
    entries.push({
      name: field(0, 100),
      mode: parseInt(field(100, 8), 8),
      content: archive.toString("utf8", start, start + size),
    });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
