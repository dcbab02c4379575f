/**
 * The node-side files of templates/, read once from disk. They are real files (shellchecked,
 * schema-checked) rather than strings in code; this is the only place that knows where they live.
 */
import * as fs from "fs";
import * as path from "path";

export const TEMPLATES_DIR = path.join(__dirname, "..", "..", "templates");

const cache = new Map<string, string>();

/** The text of templates/<name>, e.g. "lib.sh". */
export function templateFile(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(TEMPLATES_DIR, name), "utf8");
    cache.set(name, text);
  }
  return text;
}
