/**
 * SwarmCluster: one student's whole cluster, in the order of docs/design.md's flow:
 * keys -> network -> firewall -> manager-0 -> bootstrap (tokens) -> other nodes (parallel) ->
 * memberships -> ready gate -> Docker API over TLS (managers) -> registry. Stacks (a later
 * issue) hang off `registryReady`. The lab CA comes first: every node's metadata carries its
 * certificate, so each node trusts the registry from its first boot.
 */
import * as pulumi from "@pulumi/pulumi";
import { renderUserData } from "./nodes/cloudinit";
import type { LabConfig } from "./config/config";
import type { ExistingNetwork } from "./network/existing-network";
import { LabFirewall } from "./network/firewall";
import type { HostKeys } from "./swarm/host-key-check";
import { HostKeyPin, hostKeysOf } from "./swarm/host-key-pin";
import { ManagerCountGuard } from "./swarm/manager-guard";
import { clusterNodes } from "./config/naming";
import { LabNetwork } from "./network/network";
import { nodeSettings } from "./nodes/node-settings";
import { sshReachable } from "./swarm/preflight";
import { JoinInfo, LabNode } from "./nodes/nodes";
import { ImagePin, imageKey, ResolvedImage } from "./nodes/image";
import { volumeSizeProblem } from "./nodes/volume-size";
import { toInputPropertiesError } from "./config/config";
import { LabKeys } from "./network/ssh-key";
import type { PreviousDeployment } from "./swarm/previous-deployment";
import { previousManagerAddresses, swarmPlan, warnIfNewSwarm } from "./swarm/swarm-plan";
import { overlayMtu } from "./config/settings";
import {
  deleteReachSeconds,
  ManagerAccess,
  rotateJoinTokens,
  SwarmBootstrap,
  swarmMembership,
  SwarmReadyGate,
  survivorsJoin,
  swarmAutolock,
} from "./swarm/swarm";
import type { SwarmNodeStatus } from "./swarm/remote-scripts";
import { LabCa } from "./ca/ca";
import { dockerApiTls } from "./ca/docker-api-step";
import { DOCKER_API_PORT, RegistryHost } from "./config/registry-address";
import { LabRegistry } from "./registry/registry";
import { nodeAddress } from "./local/lab-network";
import { LocalLab } from "./local/local-lab";
import { LocalNode } from "./local/local-node";
import type { ClusterNode } from "./nodes/cluster-node";
import { localDockerApiPort, localRegistryPort } from "./config/local-ports";

/** The registry's wait: long enough for a first pull of its image on a slow mirror. */
const REGISTRY_TIMEOUT_SECONDS = 600;

/** What the student's laptop needs: registry address and login, the CA, the API's client key. */
export interface LabAccess {
  /** `<manager-0 floating IP>:5000` */
  registry: pulumi.Output<string>;
  /** `<manager-0 private address>:5000`: the name to give images that stacks run. */
  registryInternal: pulumi.Output<string>;
  registryUser: string;
  registryPassword: pulumi.Output<string>;
  caCertificate: pulumi.Output<string>;
  clientCertificate: pulumi.Output<string>;
  clientKey: pulumi.Output<string>;
  /** `tcp://<manager-0 floating IP>:2376` */
  dockerHost: pulumi.Output<string>;
}
import { stackFolders } from "./stacks/catalog";
import { chosenPublishedPorts, chosenStackPorts } from "./stacks/published-ports";
import { localPortUrl } from "./stacks/local-port-forwarder";
import { LocalStackPorts } from "./stacks/local-stack-ports";
import { LabStacks, StackStatus } from "./stacks/stacks";

/** What the program's entry point looked up before declaring the cluster. */
export interface ClusterSetup {
  /** `swarmlab:network`, looked up (and `config` planned for it) already. */
  existingNetwork?: ExistingNetwork;
  /** This stack's previous deployment (its self StackReference). */
  previous: PreviousDeployment;
  /** The image every server boots, by id (nodes/image.ts: resolveImage); OpenStack only. */
  image?: ResolvedImage;
}

export interface ClusterNodeInfo {
  name: string;
  role: string;
  privateIp: string;
  publicIp?: string;
  /** Where this machine reaches its sshd when that is not publicIp:22 (the local cloud). */
  sshAddress?: string;
}

/** What the OpenStack nodes stand on. */
interface OpenStackLayer {
  network: LabNetwork;
  firewall: LabFirewall;
  image: pulumi.Output<ResolvedImage>;
}

export class SwarmCluster extends pulumi.ComponentResource {
  public readonly managerPublicIp: pulumi.Output<string>;
  public readonly nodes: pulumi.Output<ClusterNodeInfo[]>;
  public readonly sshPrivateKey: pulumi.Output<string>;
  public readonly sshUser: string;
  public readonly overlayMtu: pulumi.Output<number>;
  public readonly swarm: pulumi.Output<SwarmNodeStatus[]>;
  /** The swarm unlock key (secret) when `autolock` is on. */
  public readonly unlockKey: pulumi.Output<string> | undefined;
  /** Every manager's pinned SSH host key by floating IP: the next deployment's survivors use it. */
  public readonly hostKeys: pulumi.Output<HostKeys>;
  /** Later steps (registry, stacks) depend on this: every node is Ready in the swarm. */
  public readonly readyGate: SwarmReadyGate;
  /**
   * Every manager's address as this machine reaches it (floating IPs), in the order swarm steps
   * try them: ManagerStep's `managers` for later steps (registry, stacks).
   */
  public readonly managerAddresses: pulumi.Output<string>[];
  /** Hash of user-data, image and flavors: the next deployment tells a rebuild from a heal by it. */
  public readonly rebuildKey: pulumi.Output<string>;
  /** The image the servers booted, by id: the next deployment boots the same (nodes/image.ts). */
  public readonly image: pulumi.Output<ImagePin>;
  /** Later steps (images, stacks) depend on this: the registry answers over TLS with auth. */
  public readonly registryReady: pulumi.Resource;
  public readonly access: LabAccess;
  /** Per chosen stack: its services (replicas running/wanted) and the URLs of its ports. */
  public readonly stacks: pulumi.Output<Record<string, StackStatus>>;
  /** The external secrets swarmlab generated for the stacks, by name (a secret). */
  public readonly stackSecrets: pulumi.Output<Record<string, string>>;

  constructor(
    name: string,
    config: LabConfig,
    setup: ClusterSetup,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("swarmlab:cluster:SwarmCluster", name, {}, opts);
    const child = { parent: this };
    const { owner } = config;
    const { previous } = setup;

    const keys = new LabKeys(
      `${name}-keys`,
      { owner, novaKeypair: config.cloud === "openstack" },
      child,
    );
    // The layer under the nodes: the local cloud's bridge and node image (infra/local), or
    // OpenStack's network, router and security groups. Everything above the nodes is the same.
    const local =
      config.cloud === "docker"
        ? new LocalLab(
            `${name}-local`,
            {
              owner,
              cidr: config.cidr,
              mtu: config.mtu,
              sshUser: config.sshUser,
              ...(config.localImage !== undefined ? { localImage: config.localImage } : {}),
            },
            child,
          )
        : undefined;
    const openstackLayer =
      local === undefined ? this.openstackLayer(name, config, setup) : undefined;
    const sshRules = openstackLayer?.firewall.sshRules ?? [];
    const networkMtu = local?.mtu ?? (openstackLayer as OpenStackLayer).network.mtu;
    const settings = networkMtu.apply((mtu) => nodeSettings(config, mtu));
    const userData = settings.apply(renderUserData);
    const guard = new ManagerCountGuard(
      `${name}-manager-guard`,
      { managers: config.managers, confirmation: config.confirmManagerRemoval ?? "" },
      child,
    );

    const ca = new LabCa(`${name}-ca`, owner, child);

    const [first, ...rest] = clusterNodes(owner, config.managers, config.workers);
    // A change of image or flavor replaces every server like a change of user-data does (a new
    // swarm, and the preview says so): the provider would rebuild or resize them in place, under
    // the same ids, and no step keyed on those ids would run again (openstack-schema.ts).
    const plan = swarmPlan({
      owner,
      previous,
      userData,
      image: (local
        ? // The local node image by the hash of its recipe (infra/local/image/), or by the name
          // swarmlab:localImage gives it.
          [
            `cloud docker`,
            `image ${local.imageTag}`,
            // Published ports replace the containers (ForceNew in the provider): said as a rebuild.
            ...(config.localPortOffset !== 0 ? [`localPortOffset ${config.localPortOffset}`] : []),
          ]
        : [
            imageKey(config),
            `flavor ${config.flavor}`,
            `managerFlavor ${config.managerFlavor}`,
            // Boot from volume or not: every block device argument is ForceNew anyway.
            ...(config.bootVolumeSize !== undefined ? [`bootVolume ${config.bootVolumeSize}`] : []),
            // The Docker volume as a block device of the server (nodes.ts): a cluster made when it
            // was a separate attachment gets new servers, and the preview says a new swarm starts.
            ...(config.dockerVolumeSize !== undefined ? ["dockerVolume block device"] : []),
            // ForceNew in the provider: a change is a rebuild, said as one.
            ...(config.configDrive ? ["configDrive"] : []),
          ]
      ).join("\n"),
    });
    // Fails every volume, and so the preview, when the cloud cannot apply the new size.
    const volumeSize =
      config.dockerVolumeSize === undefined
        ? undefined
        : previous.dockerVolumeSize.apply((before) => {
            const problem = volumeSizeProblem(before, config.dockerVolumeSize);
            if (problem) throw toInputPropertiesError([problem]);
            return config.dockerVolumeSize as number;
          });
    const access = (
      managers: ManagerAccess["managers"],
      hostKeys: ManagerAccess["hostKeys"],
    ): ManagerAccess => ({
      managers,
      hostKeys,
      user: config.sshUser,
      privateKey: keys.sshPrivateKey,
    });
    // The join facts of the surviving managers, read at refresh (swarm.ts: survivorsStep). The
    // step asks the managers' floating IPs, which outlive every server: the previous
    // deployment's, or on a first deployment this one's (so the second `up` sends the same).
    const [managerFloatingIps, resolveManagerFloatingIps] = pulumi.deferredOutput<string[]>();
    const survivorManagers = pulumi
      .all([plan.mode, previous.nodes, managerFloatingIps])
      .apply(([mode, nodes, current]) =>
        mode === "first" ? current : previousManagerAddresses(nodes, owner),
      );
    // Their host keys: the pins of the previous deployment, which ran before this one; on a first
    // deployment this one's, known only once every manager exists. So on a first deployment
    // nothing may wait for this step (manager-0 and the bootstrap would wait for their own pins):
    // there are no survivors then, and the values below leave the step out.
    const [currentHostKeys, resolveCurrentHostKeys] = pulumi.deferredOutput<HostKeys>();
    const survivorHostKeys = plan.mode.apply<HostKeys>((mode) =>
      mode === "first" ? currentHostKeys : previous.hostKeys,
    );
    const survivors = survivorsJoin(
      `${name}-survivors`,
      access(survivorManagers, survivorHostKeys),
      child,
    );
    // On a rebuild manager-0 starts a new swarm whatever a refresh read from the old one.
    const joinSurvivors = plan.mode.apply((mode) =>
      mode === "first"
        ? pulumi.output(false)
        : survivors.answered.apply((answered) => mode !== "rebuild" && answered),
    );
    const survivorsJoinFacts = plan.mode.apply((mode) =>
      mode === "first"
        ? pulumi.output<JoinInfo | undefined>(undefined)
        : pulumi
            .all([joinSurvivors, survivors.join])
            .apply(([joining, join]): JoinInfo | undefined => (joining ? join : undefined)),
    );
    const makeNode = (
      identity: typeof first,
      join?: pulumi.Input<JoinInfo | undefined>,
      replaceWith?: pulumi.Resource[],
      registryHost?: pulumi.Output<RegistryHost>,
    ): ClusterNode => {
      if (local !== undefined) {
        return new LocalNode(
          `${name}-${identity.role}-${identity.index}`,
          {
            identity,
            owner,
            image: local.image,
            network: local.networkName,
            address: nodeAddress(config.cidr, identity),
            userData,
            sshPublicKey: keys.sshPublicKey,
            init: identity === first,
            join,
            rebuildTrigger: plan.rebuildKey,
            replaceWith,
            registryCa: ca.caCertificate,
            registryHost,
            portOffset: config.localPortOffset,
          },
          child,
        );
      }
      const { network, firewall, image } = openstackLayer as OpenStackLayer;
      return new LabNode(
        `${name}-${identity.role}-${identity.index}`,
        {
          identity,
          owner,
          flavor: identity.role === "manager" ? config.managerFlavor : config.flavor,
          imageId: image.id,
          rebuildTrigger: plan.rebuildKey,
          bootVolumeSizeGib: config.bootVolumeSize,
          configDrive: config.configDrive,
          keypairName: keys.keypairName as pulumi.Output<string>,
          networkId: network.networkId,
          subnetId: network.subnetId,
          securityGroupIds: [firewall.clusterGroupId, firewall.accessGroupId],
          userData,
          init: identity === first,
          join,
          dockerVolumeSize: volumeSize,
          floatingIpPool: identity.role === "manager" ? config.externalNetwork : undefined,
          routerReady: network.routerReady,
          replaceWith,
          registryCa: ca.caCertificate,
          registryHost,
        },
        child,
      );
    };

    const manager0 = makeNode(first, pulumi.secret(survivorsJoinFacts));
    // manager-0's public address (floating IP, or 127.0.0.1 on the local cloud) and where this
    // machine reaches its sshd (the same address on port 22, or 127.0.0.1:<published port>).
    const managerIp = manager0.publicIp as pulumi.Output<string>;
    const managerSsh = manager0.sshAddress as pulumi.Output<string>;
    // A rebuild always starts a new swarm. Otherwise only a refresh that reached no manager is
    // news; a step that asked nobody (nothing runs on create) is not.
    warnIfNewSwarm(
      owner,
      plan,
      pulumi
        .all([plan.mode, survivors.answered, survivors.unreachable])
        .apply(([mode, answered, unreachable]) => mode !== "rebuild" && (answered || !unreachable)),
    );
    // The registry runs on manager-0: its private address and floating IP.
    const registryHost = pulumi
      .all([manager0.privateIp, managerIp])
      .apply(([privateIp, publicIp]): RegistryHost => ({ privateIp, publicIp }));
    const reachable = sshReachable(
      `${name}-ssh-reachable`,
      { host: managerSsh, allowedCidrs: config.allowedCidrs, waitFor: manager0.ready },
      { parent: this },
    );
    // Each manager's host key, pinned at first contact with its server, before any step talks to
    // it (manager-0's: before the bootstrap); a new server id is pinned anew.
    const pinHostKey = (node: ClusterNode, waitFor: pulumi.Resource[]) =>
      new HostKeyPin(
        `${name}-${node.nodeName.slice(owner.length + 1)}-host-key`,
        {
          server: node.nodeName,
          serverId: node.instanceId,
          address: node.sshAddress as pulumi.Output<string>,
          reachTimeoutSeconds: config.bootTimeoutSeconds,
        },
        { parent: this, dependsOn: [...node.ready, ...sshRules, ...waitFor] },
      );
    const manager0Pin = pinHostKey(manager0, [reachable]);
    // The bootstrap may also ask the surviving managers: their pins are the previous deployment's.
    const bootstrapHostKeys = pulumi
      .all([previous.hostKeys, hostKeysOf([manager0Pin])])
      .apply(([before, pin0]) => ({ ...before, ...pin0 }));
    // What makes the tokens change: a new swarm (a new manager-0) or a scale (after a rotation).
    const tokenTriggers = [config.managers, config.workers, manager0.instanceId];
    const bootstrap = new SwarmBootstrap(
      `${name}-bootstrap`,
      {
        // A manager-0 that initialises a swarm is the only way in; one that joined survivors
        // may be slower than they are.
        access: access(
          pulumi
            .all([managerSsh, joinSurvivors, plan.previousManagersBut0])
            .apply(([ip, answered, others]) => (answered ? [ip, ...others] : [ip])),
          bootstrapHostKeys,
        ),
        bootTimeoutSeconds: config.bootTimeoutSeconds,
        rereadOn: tokenTriggers,
        // Fails within minutes, naming allowedCidrs, when this machine cannot reach manager-0.
        // The SSH rules: every later SSH step depends on the bootstrap, so `pulumi destroy`
        // deletes them only after those steps' delete scripts (stacks, registry, memberships)
        // have run over SSH; without this they went in the first wave and cut the way in.
        waitFor: [...manager0.ready, reachable, ...sshRules],
      },
      child,
    );

    // Every other node waits only for the tokens, so they all boot in parallel. With one
    // manager, a replaced manager-0 is a new swarm: the others are replaced with it and boot again
    // into that swarm. With three or more, a replaced manager-0 joins the surviving managers and
    // nothing else is replaced (a rebuild replaces every server anyway: new user-data).
    const others = rest.map((identity) =>
      makeNode(
        identity,
        identity.role === "manager" ? bootstrap.managerJoin : bootstrap.workerJoin,
        config.managers === 1 ? [manager0.server] : [],
        registryHost,
      ),
    );
    // Every manager's SSH address: the way in of every step above the nodes.
    const managerIps = [manager0, ...others]
      .filter((node) => node.role === "manager")
      .map((node) => node.sshAddress as pulumi.Output<string>);
    resolveManagerFloatingIps(pulumi.all(managerIps));
    const otherManagerPins = others
      .filter((node) => node.role === "manager")
      .map((node) => pinHostKey(node, []));
    const hostKeys = hostKeysOf([manager0Pin, ...otherManagerPins]);
    resolveCurrentHostKeys(hostKeys);

    // Managers leave one at a time (each membership waits for the previous one on delete), so a
    // scale-down demotes them serially and quorum is recomputed between removals.
    // A node is never removed through itself: its membership asks the other managers.
    let previousManager: pulumi.Resource | undefined;
    const memberships = others.map((node) => {
      const identity = rest.find((n) => n.name === node.nodeName) as typeof first;
      const dependsOn = [...node.ready, bootstrap, guard, ...sshRules];
      if (identity.role === "manager" && previousManager) dependsOn.push(previousManager);
      const membership = swarmMembership(
        `${name}-${identity.role}-${identity.index}-membership`,
        {
          access: access(
            managerIps.filter((ip) => ip !== node.sshAddress),
            hostKeys,
          ),
          node: identity,
          instanceId: node.instanceId,
          timeoutSeconds: 300,
          deleteReachTimeoutSeconds: deleteReachSeconds(config.managers),
        },
        { parent: this, dependsOn },
      );
      if (identity.role === "manager") previousManager = membership;
      return membership;
    });

    const all = [manager0, ...others];
    const names = new Set(all.map((n) => n.nodeName));
    const leaving = previous.nodes.apply((nodes) =>
      nodes
        .filter((node) => !names.has(node.name))
        .map((node) => ({ name: node.name, address: node.privateIp })),
    );
    this.readyGate = new SwarmReadyGate(
      `${name}-ready`,
      {
        access: access(managerIps, hostKeys),
        owner,
        expected: all.map((n) => ({ name: n.nodeName, role: n.role, address: n.privateIp })),
        leaving,
        instanceIds: all.map((n) => n.instanceId),
        timeoutSeconds: config.bootTimeoutSeconds,
        waitFor: [...all.flatMap((n) => n.ready), ...memberships],
      },
      child,
    );
    if (config.rotateJoinTokens) {
      // Any new server (a scale, or one re-created after a loss) joined with the current tokens:
      // rotate again once it is Ready.
      const rotateOn = [config.managers, config.workers, ...all.map((n) => n.instanceId)];
      rotateJoinTokens(`${name}-rotate-tokens`, access(managerIps, hostKeys), rotateOn, {
        parent: this,
        dependsOn: [this.readyGate],
      });
    }

    this.unlockKey = swarmAutolock(
      `${name}-autolock`,
      config.autolock,
      access(managerIps, hostKeys),
      [manager0.instanceId],
      { parent: this, dependsOn: [this.readyGate] },
    );

    // The Docker API over mutual TLS on every manager, over SSH to that very manager (its own
    // certificate and dockerd); each restarts its dockerd, so the registry waits for manager-0's.
    const apiSteps = all
      .filter((node) => node.role === "manager")
      .map((node) =>
        dockerApiTls(
          `${name}-${node.nodeName.slice(owner.length + 1)}-docker-api`,
          {
            access: access([node.sshAddress as pulumi.Output<string>], hostKeys),
            caCertificate: ca.caCertificate,
            certificate: ca.dockerApi({
              name: node.nodeName,
              privateIp: node.privateIp,
              publicIp: node.publicIp,
            }),
            instanceId: node.instanceId,
            timeoutSeconds: Math.min(300, config.bootTimeoutSeconds),
          },
          { parent: this, dependsOn: [this.readyGate] },
        ),
      );
    const registry = new LabRegistry(
      `${name}-registry`,
      {
        access: access(managerIps, hostKeys),
        image: config.registryImage,
        node: manager0.nodeName,
        host: registryHost,
        caCertificate: ca.caCertificate,
        certificate: ca.registry(registryHost),
        timeoutSeconds: REGISTRY_TIMEOUT_SECONDS,
        ...(local ? { publicPort: localRegistryPort(config.localPortOffset) } : {}),
        waitFor: [this.readyGate, apiSteps[0]],
      },
      child,
    );
    this.registryReady = registry;
    const client = ca.client();
    this.access = {
      registry: registry.address,
      registryInternal: registry.internalAddress,
      registryUser: registry.user,
      registryPassword: registry.password,
      caCertificate: ca.caCertificate,
      clientCertificate: client.certificate,
      clientKey: client.privateKey,
      dockerHost: managerIp.apply(
        (ip) =>
          `tcp://${ip}:${local ? localDockerApiPort(config.localPortOffset) : DOCKER_API_PORT}`,
      ),
    };
    this.overlayMtu = settings.apply((s) => overlayMtu(s.mtu));
    // Images are named, pushed and pulled at the registry's private address: the nodes reach it
    // there, and the floating IP is for the student's laptop.
    const stacks = new LabStacks(
      `${name}-stacks`,
      {
        access: access(managerIps, hostKeys),
        choices: config.stacks,
        folders: stackFolders(config.stacksDirs),
        owner,
        externals: config.stackExternals,
        registry: {
          address: registry.internalAddress,
          user: registry.user,
          password: registry.password,
          caCertificate: ca.caCertificate,
          ready: [registry],
        },
        overlayMtu: this.overlayMtu,
        managerIp,
        ...(local ? { portUrl: (port) => localPortUrl(port, config.localPortOffset) } : {}),
        timeoutSeconds: config.bootTimeoutSeconds,
        waitFor: [this.readyGate],
      },
      child,
    );
    if (local) {
      // The stacks' ports on 127.0.0.1: nothing else publishes them on this machine.
      new LocalStackPorts(
        `${name}-stack-ports`,
        {
          owner,
          ports: chosenPublishedPorts(config.stacks, stackFolders(config.stacksDirs)),
          offset: config.localPortOffset,
          nodes: [first, ...rest].map((identity) => nodeAddress(config.cidr, identity)),
          image: local.image,
          network: local.networkName,
        },
        child,
      );
    }
    this.stacks = stacks.stacks;
    this.stackSecrets = stacks.generatedSecrets;

    this.managerPublicIp = managerIp;
    this.managerAddresses = managerIps;
    this.rebuildKey = plan.rebuildKey;
    this.hostKeys = hostKeys;
    // Resolved before any resource (image.ts): the next deployment boots the same id.
    this.image = local
      ? pulumi.output({ name: local.imageTag, id: local.imageTag })
      : (openstackLayer as OpenStackLayer).image.apply(({ name, id }) => ({ name, id }));
    this.sshUser = config.sshUser;
    this.sshPrivateKey = keys.sshPrivateKey;
    this.swarm = this.readyGate.nodes;
    this.nodes = pulumi.all(
      all.map((n) =>
        pulumi
          .all([n.privateIp, n.publicIp, n.sshAddress])
          .apply(([privateIp, publicIp, sshAddress]) => ({
            name: n.nodeName,
            role: n.role,
            privateIp,
            ...(publicIp ? { publicIp } : {}),
            ...(sshAddress && sshAddress !== publicIp ? { sshAddress } : {}),
          })),
      ),
    );
    this.registerOutputs({
      rebuildKey: this.rebuildKey,
      image: this.image,
      managerPublicIp: this.managerPublicIp,
      nodes: this.nodes,
      swarm: this.swarm,
      overlayMtu: this.overlayMtu,
      stacks: this.stacks,
    });
  }

  /** OpenStack's layer under the nodes: network (created or existing), router, security groups. */
  private openstackLayer(name: string, config: LabConfig, setup: ClusterSetup): OpenStackLayer {
    const child = { parent: this };
    const { owner } = config;
    const { existingNetwork, image } = setup;
    if (image === undefined)
      throw new Error("swarmlab: the OpenStack layer needs the resolved image");
    const network = new LabNetwork(
      `${name}-network`,
      {
        owner,
        externalNetwork: config.externalNetwork,
        existingNetwork,
        cidr: config.cidr,
        dnsNameservers: config.dnsNameservers,
      },
      child,
    );
    const firewall = new LabFirewall(
      `${name}-firewall`,
      {
        owner,
        allowedCidrs: config.allowedCidrs,
        publishedPorts: chosenStackPorts(config.stacks, stackFolders(config.stacksDirs)),
      },
      child,
    );

    return { network, firewall, image: pulumi.output(image) };
  }
}
