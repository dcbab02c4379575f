/**
 * The user-data as a person reads it: every `gz+b64` file decoded, the scripts archive expanded
 * into one write_files entry per script. For `npm run render` and the tests; what a node gets is
 * the compressed document renderUserData returns.
 */
import YAML from "yaml";
import {
  COMPRESSED_ENCODING,
  NODE_SCRIPT_DIR,
  NODE_SCRIPTS_ARCHIVE,
  WriteFile,
} from "../../infra/nodes/cloudinit";
import { gunzipBase64 } from "../../infra/nodes/compress";
import { untar } from "../../infra/nodes/tar";

/** A file as cloud-init (and, for the archive's, tar) leaves it on the node. */
export type NodeFile = Omit<WriteFile, "encoding">;

/** The files a node ends up with from `userData`, in write_files order, decoded. */
export function nodeFiles(userData: string): NodeFile[] {
  const config = YAML.parse(userData) as { write_files: WriteFile[] };
  return config.write_files.flatMap((file): NodeFile[] => {
    const { encoding, ...plain } = file;
    if (encoding === undefined) return [plain];
    if (encoding !== COMPRESSED_ENCODING) throw new Error(`${file.path}: encoding ${encoding}?`);
    const bytes = gunzipBase64(file.content);
    if (file.path !== NODE_SCRIPTS_ARCHIVE) return [{ ...plain, content: bytes.toString("utf8") }];
    return untar(bytes).map((entry) => ({
      path: `${NODE_SCRIPT_DIR}/${entry.name}`,
      permissions: `0${entry.mode.toString(8)}`,
      owner: file.owner,
      content: entry.content,
    }));
  });
}

/** `userData` with nodeFiles in place of write_files: the document to read, not to send. */
export function readableUserData(userData: string): string {
  const config = YAML.parse(userData) as Record<string, unknown>;
  const body = YAML.stringify(
    { ...config, write_files: nodeFiles(userData) },
    { lineWidth: 0, blockQuote: "literal" },
  );
  return (
    `# READABLE VIEW of user-data.yaml: its gz+b64 files decoded and ${NODE_SCRIPTS_ARCHIVE}\n` +
    `# unpacked as runcmd unpacks it. The nodes get user-data.yaml, byte for byte.\n${body}`
  );
}
