/**
 * The application stacks on disk: stacks/<name>/compose.yaml, and the build contexts some of them
 * hold. This is the only place that knows where they live. `SWARMLAB_STACKS_DIR` points swarmlab
 * at another folder of stacks (a course's own, or a test's fixtures).
 */
import dockerignore from "@balena/dockerignore";
import * as fs from "fs";
import * as path from "path";

export const COMPOSE_FILE = "compose.yaml";

export function stacksDir(): string {
  return process.env.SWARMLAB_STACKS_DIR ?? path.join(__dirname, "..", "..", "stacks");
}

/** The stacks that exist: folders of stacksDir() holding a compose.yaml, sorted. */
export function availableStacks(dir = stacksDir()): string[] {
  if (!fs.existsSync(dir)) return [];
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
