/**
 * Nova's config drive, in the layout cloud-init's ConfigDrive datasource reads from its seed
 * directory. The files (paths and content) come from the node's description
 * (infra/local/node-container.ts), the same the Pulumi program uploads into a local-cloud node.
 * On OpenStack the same files sit on a labelled ISO (or come from the metadata service); the
 * node-side code reads them through `cloud-init query`, so it cannot tell the difference.
 */
import type { SeedFile } from "../../../infra/local/node-container";
import { copyIntoContainer } from "./copy-into";

/** Writes the seed into a container (created or running); directories are created as needed. */
export async function writeConfigDrive(container: string, seedFiles: SeedFile[]): Promise<void> {
  await copyIntoContainer(container, seedFiles);
}
