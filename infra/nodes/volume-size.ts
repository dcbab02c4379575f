/**
 * `swarmlab:dockerVolumeSize` on a cluster that already has its volumes. The provider updates a
 * volume's size in place (openstack-schema.ts), but refuses an attached volume without
 * `enable_online_resize`, Cinder never shrinks a volume, and even a grown volume would keep its
 * old filesystem size on the node. So a change is refused at preview, with the way that works,
 * instead of failing `up` half way.
 */
import type { ConfigProblem } from "../config/validate";

export function volumeSizeProblem(
  previous: number | undefined,
  wanted: number | undefined,
): ConfigProblem | undefined {
  if (previous === undefined || wanted === undefined || previous === wanted) return undefined;
  const why =
    wanted < previous
      ? "Cinder never shrinks a volume"
      : "the nodes' volumes are attached, and the OpenStack provider resizes an attached volume " +
        "only with online resize, which would not grow the filesystem on it either";
  return {
    key: "dockerVolumeSize",
    reason:
      `is ${wanted} but the cluster's Docker volumes have ${previous} GiB: ${why}. Set it back ` +
      `to ${previous}; for other sizes destroy the cluster and bring it up again with the new ` +
      "size (the volumes hold /var/lib/docker, so the swarm's images and containers go with them)",
  };
}

/** The stack output `dockerVolumeSize` of the previous deployment; absent or 0: no volumes. */
export function parseVolumeSize(value: unknown): number | undefined {
  return typeof value === "number" && value > 0 ? value : undefined;
}
