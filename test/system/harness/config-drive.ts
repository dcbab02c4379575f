/**
 * Nova's config drive, in the layout cloud-init's ConfigDrive datasource reads from its seed
 * directory: /var/lib/cloud/seed/config_drive/openstack/latest/{meta_data.json,user_data}.
 * On OpenStack the same files sit on a labelled ISO (or come from the metadata service); the
 * node-side code reads them through `cloud-init query`, so it cannot tell the difference.
 */
import { randomUUID } from "node:crypto";
import { copyIntoContainer } from "./copy-into";

/** The parts of nova's meta_data.json cloud-init uses, plus a few it carries along as nova does. */
export interface NovaMetaData {
  /** Required: cloud-init's instance id; a new uuid means "new instance" (first boot again). */
  uuid: string;
  name: string;
  hostname: string;
  launch_index: number;
  availability_zone: string;
  /** The server's `metadata` property: string to string, as nova enforces. */
  meta: Record<string, string>;
  public_keys: Record<string, string>;
  keys: { name: string; type: string; data: string }[];
}

export interface ConfigDrive {
  metaData: NovaMetaData;
  userData: string;
}

export function novaMetaData(
  name: string,
  meta: Record<string, string>,
  publicKey: string,
  uuid: string = randomUUID(),
): NovaMetaData {
  return {
    uuid,
    name,
    hostname: name,
    launch_index: 0,
    availability_zone: "nova",
    meta,
    public_keys: { default: publicKey },
    keys: [{ name: "default", type: "ssh", data: publicKey }],
  };
}

/** Where cloud-init's ConfigDrive datasource looks for a seed before any labelled disk. */
export const SEED_DIR = "/var/lib/cloud/seed/config_drive/openstack/latest";

/** Writes the seed into a container (created or running); directories are created as needed. */
export async function writeConfigDrive(container: string, drive: ConfigDrive): Promise<void> {
  await copyIntoContainer(container, [
    { path: `${SEED_DIR}/meta_data.json`, content: JSON.stringify(drive.metaData, null, 2) },
    { path: `${SEED_DIR}/user_data`, content: drive.userData },
  ]);
}
