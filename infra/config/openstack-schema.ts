/**
 * What a change of each OpenStack argument the program sets does on a real cloud, read from the
 * provider's schema at the pinned version: `replace` (ForceNew: the resource is deleted and made
 * again, under a new id), `update` (changed in place, same id: for a server that may be a rebuild
 * or a resize, see the notes) or `computed` (set by the provider, never sent by us).
 *
 * Under mocks every argument is accepted and nothing is ever replaced, so the program's plans
 * (which resource options it sets, which steps it keys on which id) and the tests read this table
 * instead of guessing. Source: terraform-provider-openstack v1.54.1, the provider @pulumi/openstack
 * 3.15.2 is built on, `openstack/resource_openstack_<type>.go`, the `Schema:` map; line numbers
 * are of that tag. test/unit/openstack-schema.test.ts fails when the pinned package changes, so
 * the table is read again against the new provider before the pin moves.
 */

/** The package whose schema this table was read from. */
export const OPENSTACK_PROVIDER = {
  npm: "@pulumi/openstack",
  version: "3.15.2",
  upstream: "terraform-provider-openstack v1.54.1",
} as const;

export type ArgumentEffect = "replace" | "update" | "computed";

export interface ArgumentFact {
  effect: ArgumentEffect;
  /**
   * Optional and Computed: left out of the inputs, the provider keeps what its state holds
   * (no diff), whatever that is.
   */
  keptWhenUnset?: true;
  /** `file.go:line` at the upstream tag, and what the update does when it is not obvious. */
  source: string;
  /** What the argument is to a reader of a preview (the preview summary's reasons). */
  label?: string;
  /** What the provider's in-place update does to the resource, for an `update` argument. */
  inPlace?: string;
}

type FactDetails = Partial<Pick<ArgumentFact, "keptWhenUnset" | "label" | "inPlace">>;

const fact = (effect: ArgumentEffect, source: string, details: FactDetails = {}): ArgumentFact => ({
  effect,
  source,
  ...details,
});

/** Pulumi type token -> argument (the Pulumi, camelCase name) -> fact. Only what the program uses. */
export const OPENSTACK_ARGUMENTS = {
  "openstack:compute/instance:Instance": {
    name: fact("update", "compute_instance_v2.go:63", { label: "name" }),
    imageId: fact(
      "update",
      "compute_instance_v2.go:68; Update calls servers.Rebuild (line 1065): same id, fresh disk",
      { keptWhenUnset: true, label: "image", inPlace: "rebuild it (same id, fresh disk)" },
    ),
    imageName: fact(
      "update",
      "compute_instance_v2.go:73; Rebuild as imageId; Read writes 'Image not found' (line 1521 of compute_instance_v2.go) when Glance lost it",
      { keptWhenUnset: true, label: "image", inPlace: "rebuild it (same id, fresh disk)" },
    ),
    flavorName: fact(
      "update",
      "compute_instance_v2.go:84; Update calls servers.Resize + ConfirmResize (line 979): a reboot",
      { keptWhenUnset: true, label: "flavor", inPlace: "resize it (a reboot)" },
    ),
    userData: fact("replace", "compute_instance_v2.go:96", {
      label: "user-data (a template or a setting rendered into cloud-init changed)",
    }),
    keyPair: fact("replace", "compute_instance_v2.go:226", { label: "SSH key pair" }),
    networks: fact("replace", "compute_instance_v2.go:143", { label: "network or port" }),
    configDrive: fact("replace", "compute_instance_v2.go:203", { label: "config drive" }),
    metadata: fact("update", "compute_instance_v2.go:198", { label: "metadata" }),
    tags: fact("update", "compute_instance_v2.go:413", { label: "tags" }),
    blockDevices: fact(
      "replace",
      "compute_instance_v2.go:231; every field of a block_device is ForceNew",
      { label: "disks (boot volume or Docker volume)" },
    ),
    allMetadata: fact("computed", "compute_instance_v2.go:399"),
  },
  "openstack:networking/port:Port": {
    name: fact("update", "networking_port_v2.go:47"),
    networkId: fact("replace", "networking_port_v2.go:58"),
    fixedIps: fact("update", "networking_port_v2.go:113"),
    securityGroupIds: fact("update", "networking_port_v2.go:92"),
    adminStateUp: fact("update", "networking_port_v2.go:64"),
    tags: fact("update", "networking_port_v2.go:200"),
    allFixedIps: fact("computed", "networking_port_v2.go:187"),
  },
  "openstack:blockstorage/volume:Volume": {
    name: fact("update", "blockstorage_volume_v3.go:52"),
    description: fact("update", "blockstorage_volume_v3.go:58"),
    size: fact(
      "update",
      "blockstorage_volume_v3.go:42; an in-use volume is refused unless enable_online_resize (line 316); Cinder never shrinks",
    ),
    imageId: fact("replace", "blockstorage_volume_v3.go:92"),
  },
  "openstack:networking/floatingIp:FloatingIp": {
    pool: fact("replace", "networking_floatingip_v2.go:54"),
    description: fact("update", "networking_floatingip_v2.go:42"),
    tags: fact("update", "networking_floatingip_v2.go:99"),
    address: fact("computed", "networking_floatingip_v2.go:47"),
  },
  "openstack:networking/floatingIpAssociate:FloatingIpAssociate": {
    floatingIp: fact("replace", "networking_floatingip_associate_v2.go:31"),
    portId: fact("update", "networking_floatingip_associate_v2.go:37"),
  },
  "openstack:networking/secGroup:SecGroup": {
    name: fact("update", "networking_secgroup_v2.go:39"),
    description: fact("update", "networking_secgroup_v2.go:44"),
    tags: fact("update", "networking_secgroup_v2.go:63"),
  },
  // Every argument of a rule is ForceNew, and Neutron refuses a second identical rule with 409
  // SecurityGroupRuleExists: a rule must be deleted before its replacement is created.
  "openstack:networking/secGroupRule:SecGroupRule": {
    securityGroupId: fact("replace", "networking_secgroup_rule_v2.go:94"),
    direction: fact("replace", "networking_secgroup_rule_v2.go:44"),
    ethertype: fact("replace", "networking_secgroup_rule_v2.go:50"),
    protocol: fact("replace", "networking_secgroup_rule_v2.go:70"),
    portRangeMin: fact("replace", "networking_secgroup_rule_v2.go:56"),
    portRangeMax: fact("replace", "networking_secgroup_rule_v2.go:63"),
    remoteGroupId: fact("replace", "networking_secgroup_rule_v2.go:77"),
    remoteIpPrefix: fact("replace", "networking_secgroup_rule_v2.go:84"),
    description: fact("replace", "networking_secgroup_rule_v2.go:37"),
  },
  "openstack:compute/keypair:Keypair": {
    name: fact("replace", "compute_keypair_v2.go:30"),
    publicKey: fact("replace", "compute_keypair_v2.go:36"),
  },
  "openstack:networking/network:Network": {
    name: fact("update", "networking_network_v2.go:48"),
    adminStateUp: fact("update", "networking_network_v2.go:60"),
    tags: fact("update", "networking_network_v2.go:117"),
    mtu: fact("computed", "networking_network_v2.go:150"),
  },
  "openstack:networking/subnet:Subnet": {
    name: fact("update", "networking_subnet_v2.go:68"),
    networkId: fact("replace", "networking_subnet_v2.go:43"),
    cidr: fact("replace", "networking_subnet_v2.go:49"),
    ipVersion: fact("replace", "networking_subnet_v2.go:142"),
    dnsNameservers: fact("update", "networking_subnet_v2.go:157"),
    tags: fact("update", "networking_subnet_v2.go:215"),
  },
  "openstack:networking/router:Router": {
    name: fact("update", "networking_router_v2.go:51"),
    externalNetworkId: fact("update", "networking_router_v2.go:86"),
    tags: fact("update", "networking_router_v2.go:165"),
  },
  "openstack:networking/routerInterface:RouterInterface": {
    routerId: fact("replace", "networking_router_interface_v2.go:40"),
    subnetId: fact("replace", "networking_router_interface_v2.go:46"),
  },
} as const satisfies Record<string, Record<string, ArgumentFact>>;

export type OpenStackType = keyof typeof OPENSTACK_ARGUMENTS;

/** The fact for one argument; undefined when the table does not list it. */
export function argumentFact(type: string, argument: string): ArgumentFact | undefined {
  const table = (OPENSTACK_ARGUMENTS as Record<string, Record<string, ArgumentFact>>)[type];
  return table?.[argument];
}

/** The arguments of `type` that the provider updates in place (for `replaceOnChanges`). */
export function inPlaceArguments(type: OpenStackType): string[] {
  return Object.entries(OPENSTACK_ARGUMENTS[type] as Record<string, ArgumentFact>)
    .filter(([, f]) => f.effect === "update")
    .map(([argument]) => argument);
}

/**
 * Why a change of `argument` makes the step a preview shows, for a reader: its label, and what
 * the table says the provider does. An argument the provider updates in place that still
 * replaces the resource was replaced by the program's choice (replaceOnChanges, the rebuild key),
 * which the reason says, with what the provider would have done instead. An argument the table
 * does not list is named as it is.
 */
export function changeReason(type: string, argument: string, step: "replace" | "update"): string {
  const found = argumentFact(type, argument);
  if (found === undefined) return argument;
  const label = found.label ?? argument;
  if (step === "update") return `${label}: updated in place`;
  if (found.effect === "replace") return `${label}: the provider replaces it (ForceNew)`;
  const instead = found.inPlace ? ` instead of letting the provider ${found.inPlace}` : "";
  return `${label}: swarmlab replaces it (rebuild key)${instead}`;
}
