/**
 * The node scripts travel as a gzipped tar inside user-data (infra/nodes/tar.ts): GNU tar, the
 * one on every node, must unpack exactly the files of templates/, executable and owned by root,
 * with the command runcmd runs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { NODE_SCRIPTS, NODE_SCRIPTS_ARCHIVE, renderUserData } from "../../infra/nodes/cloudinit";
import { gunzipBase64 } from "../../infra/nodes/compress";
import { templateFile } from "../../infra/nodes/templates";
import { nodeSettings } from "../unit/node-settings.fixture";
import { requireTool, run } from "./tools";

interface Config {
  write_files: { path: string; content: string }[];
  runcmd: string[];
}

it("GNU tar unpacks the scripts archive into the templates' bytes, mode 0755", () => {
  requireTool("tar", "tar");
  const config = YAML.parse(renderUserData(nodeSettings())) as Config;
  const archive = config.write_files.find((f) => f.path === NODE_SCRIPTS_ARCHIVE);
  if (!archive) throw new Error(`${NODE_SCRIPTS_ARCHIVE} not in write_files`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-archive-"));
  try {
    fs.writeFileSync(path.join(dir, "scripts.tar"), gunzipBase64(archive.content));
    // runcmd's own unpack command, pointed at the scratch folder.
    const unpack = config.runcmd[0]
      .split(" && ")[0]
      .replaceAll(path.dirname(NODE_SCRIPTS_ARCHIVE), dir);
    const result = run("sh", ["-c", unpack]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    expect(fs.readdirSync(dir).sort()).toEqual([...NODE_SCRIPTS, "scripts.tar"].sort());
    for (const name of NODE_SCRIPTS) {
      const file = path.join(dir, name);
      expect(fs.readFileSync(file, "utf8")).toBe(templateFile(name));
      expect(fs.statSync(file).mode & 0o777).toBe(0o755);
      // -m: the time of unpacking, not the archive's fixed 1970.
      expect(fs.statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
