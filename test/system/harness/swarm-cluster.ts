/**
 * The swarm lifecycle in the Pulumi program's order (infra/cluster.ts, infra/swarm/swarm.ts), driven with
 * the project's own builders — user-data, instance metadata, node names and the remote scripts —
 * so the test runs exactly the strings the program sends:
 *   manager-0 boots with swarm_init=true -> bootstrap script over SSH -> join tokens ->
 *   the other nodes boot in parallel with swarm_join_addr + swarm_token in their metadata ->
 *   ready gate.
 */
import { nodeHostNumber } from "../../../infra/local/lab-network";
import type { PublishedNodePort } from "../../../infra/local/node-container";
import { renderUserData } from "../../../infra/nodes/cloudinit";
import { nodeMetadata, RegistryTrust } from "../../../infra/config/metadata";
import { clusterNodes, NodeIdentity } from "../../../infra/config/naming";
import {
  bootstrapScript,
  JoinTokens,
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
  RemoteScript,
  removeNodeScript,
  SwarmNodeStatus,
} from "../../../infra/swarm/remote-scripts";
import type { NodeSettings } from "../../../infra/config/settings";
import { Lab } from "./lab";
import { deleteServer, NodeDisk, Server, startServer } from "./nova";
import { CommandResult } from "./process";

export interface ClusterSpec {
  settings: NodeSettings;
  managers: number;
  workers: number;
  /** Ports a node publishes on 127.0.0.1 (the local cloud's layout); default none. */
  publishedPortsOf?: (node: NodeIdentity) => PublishedNodePort[];
  /** The disk each node gets; default: Docker on the root disk (a Docker volume). */
  diskOf?: (node: NodeIdentity, lab: Lab) => Promise<NodeDisk>;
  /**
   * Runs on each created server before it powers on: what the cloud image carries besides the
   * recipe's packages (e.g. an apt pin in a department's own image).
   */
  beforePowerOn?: (server: Server) => Promise<void>;
  /** The lab CA and registry endpoints every node's metadata carries (harness/registry.ts). */
  registryTrust?: RegistryTrust;
}

/** Node-side deadline of the remote scripts; the SSH deadline adds a margin on top. */
export const SCRIPT_TIMEOUT_SECONDS = 600;
const SSH_MARGIN_MS = 60_000;
const SSH_CONNECT_TIMEOUT_MS = 180_000;

export class SwarmCluster {
  readonly nodes: NodeIdentity[];
  /** The user-data every node gets, rendered once per stack as the program does. */
  readonly userData: string;
  private joinTokens: JoinTokens | undefined;

  constructor(
    readonly lab: Lab,
    readonly spec: ClusterSpec,
  ) {
    this.nodes = clusterNodes(spec.settings.owner, spec.managers, spec.workers);
    this.userData = renderUserData(spec.settings);
  }

  get manager0(): NodeIdentity {
    return this.nodes[0];
  }

  get tokens(): JoinTokens {
    if (!this.joinTokens) throw new Error("no join tokens yet: run bootstrap() first");
    return this.joinTokens;
  }

  /** The local cloud's address plan (managers at .10+, workers at .100+ of the run's /24). */
  hostNumber(node: NodeIdentity): number {
    return nodeHostNumber(node);
  }

  node(name: string): NodeIdentity {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node ${name} in this cluster`);
    return node;
  }

  /** The node with this role and index, e.g. member("worker", 0). */
  member(role: NodeIdentity["role"], index: number): NodeIdentity {
    const node = this.nodes.find((n) => n.role === role && n.index === index);
    if (!node) throw new Error(`no ${role} ${index} in this cluster`);
    return node;
  }

  server(node: NodeIdentity): Server {
    return this.lab.server(node.name);
  }

  /** Boots one node: metadata from the project's nodeMetadata(), then a config drive and power-on. */
  async bootNode(
    node: NodeIdentity,
    join?: { addr: string; token: string },
    registryTrust: RegistryTrust | undefined = this.spec.registryTrust,
  ): Promise<Server> {
    const isManager0 = node === this.manager0;
    const meta = nodeMetadata({
      owner: this.spec.settings.owner,
      role: node.role,
      // As infra/nodes/nodes.ts: manager-0 given join info joins surviving managers.
      init: isManager0 && !join,
      advertiseAddr: this.addressOf(node),
      ...(join ? { join } : {}),
      ...(registryTrust ? { registryTrust } : {}),
    });
    const disk: NodeDisk = this.spec.diskOf
      ? await this.spec.diskOf(node, this.lab)
      : { kind: "root-disk" };
    const server = await this.lab.create({
      name: node.name,
      hostNumber: this.hostNumber(node),
      meta,
      userData: this.userData,
      disk,
      ...(this.spec.publishedPortsOf ? { publishedPorts: this.spec.publishedPortsOf(node) } : {}),
    });
    await this.spec.beforePowerOn?.(server);
    await startServer(server);
    return server;
  }

  /** Runs one of the project's remote scripts on manager-0 over SSH, as remote.Command does. */
  async runOnManager0(script: RemoteScript): Promise<CommandResult> {
    const session = await this.lab.ssh(this.manager0.name, SSH_CONNECT_TIMEOUT_MS);
    try {
      return await session.exec(script.command, {
        stdin: script.stdin,
        timeoutMs: SCRIPT_TIMEOUT_SECONDS * 1000 + SSH_MARGIN_MS,
      });
    } finally {
      session.close();
    }
  }

  /** manager-0 boots and initialises the swarm; the bootstrap script returns the join tokens. */
  async bootManager0(): Promise<JoinTokens> {
    await this.bootNode(this.manager0);
    const result = await this.runOnManager0(bootstrapScript(SCRIPT_TIMEOUT_SECONDS));
    // stdout carries the tokens: only stderr goes into the failure message.
    if (result.exitCode !== 0) {
      throw new Error(`bootstrap script exited ${result.exitCode}; stderr:\n${result.stderr}`);
    }
    this.joinTokens = parseJoinTokens(result.stdout);
    return this.joinTokens;
  }

  /** The join info the program puts into a node's metadata: the token for the node's role. */
  joinFor(node: NodeIdentity): { addr: string; token: string } {
    const tokens = this.tokens;
    return {
      addr: tokens.joinAddr,
      token: node.role === "manager" ? tokens.manager : tokens.worker,
    };
  }

  /** Every node but manager-0, booted in parallel as Pulumi creates independent servers. */
  async bootJoiners(nodes: NodeIdentity[] = this.nodes.slice(1)): Promise<Server[]> {
    return Promise.all(nodes.map((node) => this.bootNode(node, this.joinFor(node))));
  }

  /** Where the program's steps reach the node's sshd: its address, or 127.0.0.1:<port>. */
  sshAddressOf(node: NodeIdentity): string {
    return this.lab.servers.get(node.name)?.sshAddress ?? this.addressOf(node);
  }

  /** The node's private address, fixed like its port's on OpenStack. */
  addressOf(node: NodeIdentity): string {
    return this.lab.address(this.hostNumber(node));
  }

  /**
   * The project's ready gate as the Pulumi program runs it: exactly `expected` Ready with their
   * roles at their addresses within the deadline; the cluster's other nodes are the previous
   * deployment's, leaving (a scale-down removes them after the gate).
   */
  async readyGate(expected: NodeIdentity[] = this.nodes): Promise<SwarmNodeStatus[]> {
    const script = readyGateScript(
      expected.map((node) => ({ name: node.name, role: node.role, address: this.addressOf(node) })),
      SCRIPT_TIMEOUT_SECONDS,
      this.nodes
        .filter((node) => !expected.includes(node))
        .map((node) => ({ name: node.name, address: this.addressOf(node) })),
    );
    const result = await this.runOnManager0(script);
    if (result.exitCode !== 0) {
      throw new Error(`ready gate exited ${result.exitCode}; stderr:\n${result.stderr}`);
    }
    return parseSwarmNodes(result.stdout);
  }

  /**
   * Pulumi's replacement of a server (new image or user-data): the old server is deleted first
   * (`deleteBeforeReplace`), then a new one, a new instance id, boots with the same name,
   * address and disk. Manager-0's replacement then runs the bootstrap again, as the program does.
   */
  async replaceServer(node: NodeIdentity): Promise<Server> {
    await deleteServer(this.server(node));
    if (node === this.manager0) {
      await this.bootManager0();
      return this.server(node);
    }
    return this.bootNode(node, this.joinFor(node));
  }

  /** The program's scale-down step: drain, demote and `docker node rm` before the VM goes. */
  async removeFromSwarm(node: NodeIdentity): Promise<CommandResult> {
    const result = await this.runOnManager0(
      removeNodeScript(node.name, node.role, SCRIPT_TIMEOUT_SECONDS),
    );
    if (result.exitCode !== 0) {
      throw new Error(`remove-node script exited ${result.exitCode}; stderr:\n${result.stderr}`);
    }
    return result;
  }
}
