/**
 * /etc/docker/daemon.json of every node: pure rendering from NodeSettings, plus the key lists the
 * config validator uses to accept or refuse `swarmlab:daemonConfig`.
 */
import { NodeSettings } from "./settings";

const TLS_FIX = "remove it (the Docker API's TLS and listen addresses are managed by swarmlab)";
const owned = (reason: string, fix: string) => `which swarmlab owns: ${reason}; ${fix}`;

/**
 * Keys `daemonConfig` may not set, each with the whole reason the validator quotes after
 * `sets "<key>", `: what swarmlab does with the key, or why the key cannot work here, and the fix.
 */
const REFUSED_DAEMON_KEYS: Readonly<Record<string, string>> = {
  "storage-driver": owned(
    "set from swarmlab:storageDriver, which also prepares the disk for it",
    "set swarmlab:storageDriver instead",
  ),
  "storage-opts": owned(
    "tied to the storage driver and the disk swarmlab prepares",
    "set swarmlab:storageDriver instead",
  ),
  mtu: owned(
    "set from the network MTU so overlay traffic fits the VXLAN tenant network",
    "set swarmlab:mtu instead",
  ),
  hosts: owned(
    "swarmlab manages the daemon's sockets (systemd passes -H fd://, which clashes)",
    TLS_FIX,
  ),
  tls: owned("swarmlab manages the Docker API's TLS", TLS_FIX),
  tlsverify: owned("swarmlab manages the Docker API's TLS", TLS_FIX),
  tlscacert: owned("swarmlab manages the Docker API's TLS", TLS_FIX),
  tlscert: owned("swarmlab manages the Docker API's TLS", TLS_FIX),
  tlskey: owned("swarmlab manages the Docker API's TLS", TLS_FIX),
  // Not swarmlab's choice: every node is a swarm node, and dockerd refuses the two together.
  "live-restore":
    "which swarm mode forbids: live-restore is incompatible with swarm mode and dockerd " +
    "refuses to start with both; remove it",
};

/** The daemon.json keys `daemonConfig` may not set. `data-root` is allowed (storage follows it). */
export const OWNED_DAEMON_KEYS = Object.keys(REFUSED_DAEMON_KEYS) as readonly string[];

/** Why `daemonConfig` may not set `key`, with the fix; undefined when the user may set it. */
export function refusedDaemonKeyReason(key: string): string | undefined {
  return Object.hasOwn(REFUSED_DAEMON_KEYS, key) ? REFUSED_DAEMON_KEYS[key] : undefined;
}

/**
 * daemon.json keys dockerd accepts on Linux (Docker's "dockerd" reference, daemon configuration
 * file). dockerd refuses to start on an unknown key, so the validator refuses them first. Keys
 * removed from current engines (cluster-store, graph, ...) are left out; a few recent keys do not
 * exist in Debian 12's docker.io 20.10, which then reports them itself at start.
 */
export const KNOWN_DAEMON_KEYS: readonly string[] = [
  "allow-nondistributable-artifacts",
  "api-cors-header",
  "authorization-plugins",
  "bip",
  "bip6",
  "bridge",
  "builder",
  "cdi-spec-dirs",
  "cgroup-parent",
  "containerd",
  "containerd-namespace",
  "containerd-plugins-namespace",
  "cpu-rt-period",
  "cpu-rt-runtime",
  "data-root",
  "debug",
  "default-address-pools",
  "default-cgroupns-mode",
  "default-gateway",
  "default-gateway-v6",
  "default-ipc-mode",
  "default-network-opts",
  "default-runtime",
  "default-shm-size",
  "default-ulimits",
  "dns",
  "dns-opts",
  "dns-search",
  "exec-opts",
  "exec-root",
  "experimental",
  "features",
  "fixed-cidr",
  "fixed-cidr-v6",
  "group",
  "host-gateway-ip",
  "hosts",
  "icc",
  "init",
  "init-path",
  "insecure-registries",
  "ip",
  "ip-forward",
  "ip-masq",
  "ip6tables",
  "iptables",
  "ipv6",
  "labels",
  "live-restore",
  "log-driver",
  "log-format",
  "log-level",
  "log-opts",
  "max-concurrent-downloads",
  "max-concurrent-uploads",
  "max-download-attempts",
  "metrics-addr",
  "mtu",
  "no-new-privileges",
  "node-generic-resources",
  "oom-score-adjust",
  "pidfile",
  "proxies",
  "raw-logs",
  "registry-mirrors",
  "runtimes",
  "seccomp-profile",
  "selinux-enabled",
  "shutdown-timeout",
  "storage-driver",
  "storage-opts",
  "swarm-default-advertise-addr",
  "tls",
  "tlscacert",
  "tlscert",
  "tlskey",
  "tlsverify",
  "userland-proxy",
  "userland-proxy-path",
  "userns-remap",
];

/**
 * Defaults swarmlab adds unless `daemonConfig` sets the key (CIS Docker Benchmark section 2,
 * where it costs a lab nothing; docs/security.md lists what is left as it is, and why):
 * - `log-driver: json-file` with `log-opts {max-size: 10m, max-file: 3}`: Docker's default
 *   json-file grows without limit, and a chatty student service would fill the node's disk.
 *   The log-opts default applies only while the driver is json-file (other drivers reject them).
 * - `icc: false` (CIS 2.2): containers on the default bridge (`docker run` without `--network`)
 *   do not reach each other. Swarm services are on overlay networks, which `icc` does not touch,
 *   and containers on one user-defined network still talk.
 * - `userland-proxy: false` (CIS 2.16): published ports are forwarded by iptables (hairpin NAT
 *   for localhost too) instead of one docker-proxy process per port.
 * `live-restore` stays absent (false): it is incompatible with swarm mode (dockerd refuses both).
 */
export const DEFAULT_DAEMON_SETTINGS = { icc: false, "userland-proxy": false } as const;
/** See DEFAULT_DAEMON_SETTINGS. */
export const DEFAULT_LOG_DRIVER = "json-file";
/** See DEFAULT_LOG_DRIVER. */
export const DEFAULT_LOG_OPTS = { "max-file": "3", "max-size": "10m" } as const;

/** Recursively sorts object keys so equal settings always give the same bytes. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/**
 * daemon.json for every node: defaults, then the user's (validated) `daemonConfig`, then the keys
 * swarmlab owns. Sorted keys, 2-space indent, trailing newline.
 */
export function renderDaemonJson(settings: NodeSettings): string {
  // Owned keys are dropped even though validation refuses them: they must never win.
  const userConfig = Object.fromEntries(
    Object.entries(settings.daemonConfig).filter(([key]) => !OWNED_DAEMON_KEYS.includes(key)),
  );
  const config: Record<string, unknown> = {
    ...DEFAULT_DAEMON_SETTINGS,
    "log-driver": DEFAULT_LOG_DRIVER,
    ...userConfig,
  };
  if (config["log-driver"] === DEFAULT_LOG_DRIVER && !("log-opts" in settings.daemonConfig)) {
    config["log-opts"] = { ...DEFAULT_LOG_OPTS };
  }
  config["storage-driver"] = settings.storage.driver;
  config.mtu = settings.mtu;
  // No `storage-opts` for any driver: overlay2 only needs a d_type filesystem (ext4, or xfs with
  // ftype=1, mkfs.xfs's default); btrfs and zfs find their subvolumes/dataset from the data
  // root's mount (zfs.fsname defaults to the dataset mounted there).
  return JSON.stringify(sortKeys(config), null, 2) + "\n";
}
