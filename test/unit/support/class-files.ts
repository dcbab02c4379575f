/** What `class init` leaves in a class folder: stack files and records, name -> text. */
import * as fs from "node:fs";
import * as path from "node:path";
import { RECORD_DIR } from "../../../scripts/class/init";

export function classFiles(dir: string): Record<string, string> {
  return Object.fromEntries(
    [
      ...fs.readdirSync(dir),
      ...fs.readdirSync(path.join(dir, RECORD_DIR)).map((f) => path.join(RECORD_DIR, f)),
    ]
      .filter((f) => f.endsWith(".yaml") || f.endsWith(".json"))
      .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
  );
}
