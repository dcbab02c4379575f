/**
 * `npm run class -- bundles [--out DIR]`: one folder per student, DIR/<id>, with what that student
 * needs to reach their cluster (scripts/bundle/contents.ts), read from THEIR stack's outputs
 * only. The teacher hands each folder to its student; students never need the backend or the
 * class passphrase. DIR itself is 0700 too: it holds the whole class's keys.
 */
import * as path from "node:path";
import pLimit from "p-limit";
import { bundleSource, sshAddressOf } from "../bundle/contents";
import { HostKeyReader, pinnedKnownHosts, readHostKeyAt } from "../bundle/host-keys";
import { privateDir } from "../bundle/private-files";
import { writeBundle } from "../bundle/write-bundle";
import type { ClassWorkspace } from "./workspace";

export interface BundleResult {
  id: string;
  /** The student's folder, when written. */
  dir?: string;
  problem?: string;
}

/**
 * `readHostKey`: how a manager's host key is read for known_hosts (checked against its pin
 * before it is written); the workspace's own reader if it has one, else an SSH handshake at the
 * pin's address ("203.0.113.10", port 22, or the local cloud's "127.0.0.1:2222").
 */
export async function writeBundles(
  workspace: ClassWorkspace,
  ids: readonly string[],
  outDir: string,
  parallel: number,
  readHostKey: HostKeyReader = workspace.hostKey?.bind(workspace) ?? readHostKeyAt,
): Promise<BundleResult[]> {
  privateDir(outDir);
  const limit = pLimit(parallel);
  return Promise.all(
    ids.map((id) =>
      limit(async (): Promise<BundleResult> => {
        try {
          const source = bundleSource(id, await workspace.secretOutputs(id));
          if ("missing" in source) {
            return {
              id,
              problem:
                `no output ${source.missing.join(", ")}: run \`npm run class -- up --only ${id}\` ` +
                "first (the registry and the Docker API come up at its end)",
            };
          }
          const knownHosts = await pinnedKnownHosts(
            id,
            source.hostKeys,
            sshAddressOf(source.data),
            readHostKey,
          );
          const dir = path.join(outDir, id);
          await writeBundle(dir, source, knownHosts);
          return { id, dir };
        } catch (error) {
          return { id, problem: error instanceof Error ? error.message : String(error) };
        }
      }),
    ),
  );
}
