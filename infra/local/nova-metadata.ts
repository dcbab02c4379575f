/**
 * Nova's meta_data.json, in the shape cloud-init's ConfigDrive (and OpenStack metadata) datasource
 * reads: the node-side code reads `meta` through `cloud-init query ds.meta_data.meta.<key>`, so a
 * node booted from this seed cannot tell it from a server on OpenStack.
 */

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

/** Nova's metadata of a server named `name` with `meta` and one SSH key named "default". */
export function novaMetaData(
  name: string,
  meta: Readonly<Record<string, string>>,
  publicKey: string,
  uuid: string,
): NovaMetaData {
  return {
    uuid,
    name,
    hostname: name,
    launch_index: 0,
    availability_zone: "nova",
    meta: { ...meta },
    public_keys: { default: publicKey },
    keys: [{ name: "default", type: "ssh", data: publicKey }],
  };
}
