/**
 * swarmlab: one student's Docker Swarm on OpenStack. Reads and validates the stack config (nothing
 * is created when it is wrong), builds the cluster, and exports what teacher and student need.
 *
 * The program is an async function (Pulumi awaits it and takes its result as the stack outputs)
 * so that an existing network's subnet and the image (OpenStack), or what the Docker engine already
 * holds (the local cloud), are looked up and checked before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { SwarmCluster } from "./cluster";
import { readLabConfig } from "./config/config";
import { checkLocalEngine } from "./local/engine-preflight";
import { withExistingNetwork } from "./network/existing-network";
import { resolveImage } from "./nodes/image";
import { previousDeployment } from "./swarm/previous-deployment";
import { labStackChecks } from "./stacks/validate-stacks";
import { stackFolders } from "./stacks/catalog";
import { forwardedPorts } from "./stacks/local-port-forwarder";
import { chosenPublishedPorts } from "./stacks/published-ports";
import { sshCommandLine } from "./swarm/ssh-command";
import { sshEndpoint } from "./swarm/ssh-endpoint";

export = async () => {
  const validated = readLabConfig(pulumi.getStack(), labStackChecks);
  const { config, network } =
    validated.network === undefined
      ? { config: validated, network: undefined }
      : await withExistingNetwork(validated, validated.network);
  // The local cloud's networks and ports (the nodes' and the stacks' forwarders'), on the engine
  // @pulumi/docker will use.
  if (config.cloud === "docker") {
    const stackPorts = chosenPublishedPorts(config.stacks, stackFolders(config.stacksDirs));
    await checkLocalEngine(config, forwardedPorts(stackPorts));
  }
  // The image by id before any server exists: a name Glance has not exactly once fails here.
  const previous = previousDeployment(`${config.owner}-previous-deployment`, {});
  // Glance only on OpenStack: the local cloud builds its node image (infra/local/image/).
  const image =
    config.cloud === "openstack"
      ? await resolveImage(config.owner, config, await previous.image)
      : undefined;
  const cluster = new SwarmCluster(config.owner, config, {
    existingNetwork: network,
    previous,
    ...(image !== undefined ? { image } : {}),
  });

  return {
    owner: config.owner,
    managerPublicIp: cluster.managerPublicIp,
    nodes: cluster.nodes,
    swarm: cluster.swarm,
    overlayMtu: cluster.overlayMtu,
    /** Per stack: services with replicas running/wanted, and the URLs of its published ports. */
    stacks: cluster.stacks,
    /**
     * External secrets swarmlab generated (swarmlab:stackExternals `generate: true`), by name:
     * e.g. mediawiki_db_password, which MediaWiki's installer asks for. A secret output.
     */
    stackSecrets: cluster.stackSecrets,
    sshUser: cluster.sshUser,
    sshPrivateKey: cluster.sshPrivateKey,
    /** Only with `swarmlab:autolock`: `docker swarm unlock` asks for it after a manager restarts. */
    ...(cluster.unlockKey ? { swarmUnlockKey: cluster.unlockKey } : {}),
    /** Hash of user-data, image and flavors: the next update tells a rebuild from a heal by it. */
    rebuildKey: cluster.rebuildKey,
    /** The image id the servers booted: later updates boot the same one (infra/nodes/image.ts). */
    image: cluster.image,
    /** Each manager's SSH host key (`SHA256:...`) by floating IP, pinned at first contact. */
    hostKeys: cluster.hostKeys,
    /** GiB of each node's Docker volume (0: none): a later change is refused at preview. */
    dockerVolumeSize: config.dockerVolumeSize ?? 0,
    /** The lab registry from a laptop (`<manager-0 floating IP>:5000`), its user and password. */
    registry: cluster.access.registry,
    /** The registry as the nodes reach it: use it in the image names of your stacks. */
    registryInternal: cluster.access.registryInternal,
    registryUser: cluster.access.registryUser,
    registryPassword: cluster.access.registryPassword,
    /** The lab CA: trusted by every node for the registry; your docker client trusts it too. */
    caCertificate: cluster.access.caCertificate,
    /** Mutual TLS to the Docker API of the managers (`npm run docker-context`). */
    dockerHost: cluster.access.dockerHost,
    clientCertificate: cluster.access.clientCertificate,
    clientKey: cluster.access.clientKey,
    /** The local cloud (swarmlab:cloud docker): nodes are containers, only 127.0.0.1 is published. */
    cloud: config.cloud,
    // manager-0's SSH address: its floating IP, or 127.0.0.1:<published port> on the local cloud.
    sshCommand: cluster.managerAddresses[0].apply((address) =>
      sshCommandLine({
        stack: pulumi.getStack(),
        sshUser: config.sshUser,
        ...sshEndpoint(address, 22),
      }),
    ),
  };
};
