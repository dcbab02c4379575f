/**
 * The files a compose file names beside it: `secrets:` and `configs:` with `file:`, and services'
 * `env_file:`. `docker stack deploy` reads them on the machine that runs it (the manager), so
 * swarmlab reads them at preview, ships them with the compose text and points the text at the
 * shipped copies: files/<hash>/<name>, relative to the compose file. A copy's folder is its
 * content's hash, so a changed file changes the compose text Pulumi diffs; and a secret or config
 * gets a name with that hash, because swarm secrets and configs are immutable (a new content must
 * be a new object; the services then move to it in one update).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** A file shipped with a stack: where it goes beside the compose file, and its bytes. */
export interface StackFile {
  path: string;
  content: Buffer;
}

/** A file the compose text names, as found at preview. */
export interface FileReference {
  /** Where in the file: "secrets.db_password.file", "services.web.env_file[0]". */
  where: string;
  /** As written, relative to the stack's folder (or absolute). */
  source: string;
}

export function contentHash(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 12);
}

/** The shipped path of a file with `content`, named like its source. */
export function shippedPath(source: string, content: Buffer): string {
  const name = path.basename(source).replace(/[^A-Za-z0-9_.-]/g, "_") || "file";
  return `files/${contentHash(content)}/${name}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function envFiles(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Every file `document` (interpolated) names. */
export function fileReferences(document: Record<string, unknown>): FileReference[] {
  const references: FileReference[] = [];
  for (const section of ["secrets", "configs"]) {
    const entries = isObject(document[section]) ? document[section] : {};
    for (const [key, entry] of Object.entries(entries)) {
      if (isObject(entry) && typeof entry.file === "string") {
        references.push({ where: `${section}.${key}.file`, source: entry.file });
      }
    }
  }
  const services = isObject(document.services) ? document.services : {};
  for (const [name, service] of Object.entries(services)) {
    if (!isObject(service)) continue;
    envFiles(service.env_file).forEach((source, index) =>
      references.push({ where: `services.${name}.env_file[${index}]`, source }),
    );
  }
  return references;
}

/** Reads each referenced file from `stackDir`; problems name the key and the path. */
export function readReferencedFiles(
  references: readonly FileReference[],
  stackDir: string,
): { files: Map<string, Buffer>; problems: string[] } {
  const files = new Map<string, Buffer>();
  const problems: string[] = [];
  for (const { where, source } of references) {
    const file = path.resolve(stackDir, source);
    try {
      // statSync follows a symlink: a linked file is shipped with the content it points to.
      if (!fs.statSync(file).isFile()) {
        problems.push(`${where}: ${source} is not a file`);
        continue;
      }
      files.set(source, fs.readFileSync(file));
    } catch {
      problems.push(
        `${where}: ${source} not found beside the compose file (docker stack deploy reads it from ${path.basename(stackDir)}/${source}); add the file or fix the path`,
      );
    }
  }
  return { files, problems };
}

/** `<name>_<hash>`: the versioned name of a secret or config made from `content`. */
export function versionedName(name: string, content: Buffer): string {
  return `${name}_${contentHash(content).slice(0, 8)}`;
}

/** The shipped files as one bash array assignment (path:base64), for swarm-stack.sh. */
export function stackFilesAssignment(files: readonly StackFile[]): string {
  const entries = files.map((file) => {
    if (!/^files\/[0-9a-f]{12}\/[A-Za-z0-9_.-]+$/.test(file.path)) {
      throw new Error(`stack file path ${JSON.stringify(file.path)} is not files/<hash>/<name>`);
    }
    return `  '${file.path}:${file.content.toString("base64")}'`;
  });
  return `SWARMLAB_STACK_FILES=(\n${entries.join("\n")}\n)\n`;
}
