/**
 * The application stacks on disk: <folder>/<name>/compose.yaml, and the build contexts some of
 * them hold. This is the only place that knows where they live: the built-in stacks/ of this
 * repository, then the folders `swarmlab:stacksDir` names (a course's own), relative to the
 * project root. A stack name found in two folders is refused (stackLocations), not shadowed.
 */
import dockerignore from "@balena/dockerignore";
import * as fs from "fs";
import * as path from "path";

export const COMPOSE_FILE = "compose.yaml";

/** The folder of Pulumi.yaml: `swarmlab:stacksDir` is relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The built-in stacks of this repository. */
export function stacksDir(): string {
  return path.join(PROJECT_ROOT, "stacks");
}

/** Every folder stacks are looked for in: stacks/, then `extra` (swarmlab:stacksDir) in order. */
export function stackFolders(extra: readonly string[] = []): string[] {
  return [stacksDir(), ...extra.map((folder) => path.resolve(PROJECT_ROOT, folder))];
}

/** A folder for messages: relative to the project root when inside it. */
export function folderLabel(folder: string): string {
  const relative = path.relative(PROJECT_ROOT, folder);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative)
    ? folder
    : relative;
}

/** Where the stacks of `folders` are: name -> folder, and the names found in more than one. */
export function stackLocations(folders: readonly string[]): {
  found: Map<string, string>;
  clashes: { name: string; folders: string[] }[];
} {
  const byName = new Map<string, string[]>();
  for (const folder of folders) {
    for (const name of availableStacks(folder))
      byName.set(name, [...(byName.get(name) ?? []), folder]);
  }
  const found = new Map<string, string>();
  const clashes: { name: string; folders: string[] }[] = [];
  for (const [name, where] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (where.length > 1) clashes.push({ name, folders: where });
    else found.set(name, where[0]);
  }
  return { found, clashes };
}

/**
 * The folder holding stack `name` among `folders`; the built-in one when it is nowhere (the
 * config check has refused such a name already, and loadStack then says the file is missing).
 */
export function folderOf(name: string, folders: readonly string[] = stackFolders()): string {
  return folders.find((folder) => availableStacks(folder).includes(name)) ?? stacksDir();
}

/** The stacks that exist: folders of `dir` holding a compose.yaml, sorted. */
export function availableStacks(dir = stacksDir()): string[] {
  // statSync follows a linked folder of stacks (a course repository linked in).
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  // A linked folder is a stack too (a course may link its stacks in from elsewhere).
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() ||
        (entry.isSymbolicLink() &&
          fs.statSync(path.join(dir, entry.name), { throwIfNoEntry: false })?.isDirectory()),
    )
    .map((entry) => entry.name)
    .filter((name) => fs.existsSync(path.join(dir, name, COMPOSE_FILE)))
    .sort();
}

/** Path of a stack's compose file relative to the project, for messages: "stacks/counter/compose.yaml". */
export function composeFileLabel(name: string, dir = stacksDir()): string {
  return `${path.basename(dir)}/${name}/${COMPOSE_FILE}`;
}

export function readComposeFile(name: string, dir = stacksDir()): string {
  return fs.readFileSync(path.join(dir, name, COMPOSE_FILE), "utf8");
}

/** One file of a build context: its path inside the context ("/"-separated) and its bytes. */
export interface ContextFile {
  path: string;
  content: Buffer;
}

/** The absolute folder of a build context given relative to its stack's folder. */
export function contextDir(stack: string, context: string, dir = stacksDir()): string {
  return path.resolve(dir, stack, context);
}

/**
 * The files `docker build` sends of the context at `root`, by path, sorted (so hashing and
 * sending them is deterministic): what its .dockerignore leaves, matched by docker's own rules
 * (@balena/dockerignore, a port of moby's matcher: `*` stays in one folder, `!` re-includes
 * under an ignored folder), plus the Dockerfile and .dockerignore, which docker always sends. A
 * symlink to a file is sent as that file's content (swarmlab ships bytes, not links); a link to
 * a folder, or to nothing, is refused: docker would send the link itself, which then points
 * nowhere in the build.
 */
export function readContextFiles(root: string, dockerfile = "Dockerfile"): ContextFile[] {
  const ignoreFile = path.join(root, ".dockerignore");
  const ignored = dockerignore().add(
    fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "",
  );
  const always = new Set([dockerfile.replace(/^\.\//, ""), ".dockerignore"]);
  const files: ContextFile[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const full = path.join(root, child);
      if (entry.isDirectory()) {
        walk(child);
        continue;
      }
      if (!always.has(child) && ignored.ignores(child)) continue;
      if (entry.isSymbolicLink()) {
        const target = fs.existsSync(full) ? fs.statSync(full) : undefined;
        if (!target?.isFile()) {
          throw new Error(
            `${child} in the build context is a symlink to ${target ? "a folder" : "nothing"}; copy what it points to into the context, or list it in .dockerignore`,
          );
        }
      } else if (!entry.isFile()) {
        continue;
      }
      files.push({ path: child, content: fs.readFileSync(full) });
    }
  };
  walk("");
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
