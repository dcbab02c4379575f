/**
 * One run's lab: the run id, the node image, the tenant network, the test's SSH key and the
 * servers booted so far, plus the phase timings. Scenario tests open one in beforeAll and close
 * it in afterAll, which removes everything the run made even when a test failed.
 */
import { removeLeftoversOfDeadRuns, removeRunResources } from "./cleanup";
import { randomUUID } from "node:crypto";
import { novaMetaData } from "../../../infra/local/nova-metadata";
import type { PublishedNodePort } from "../../../infra/local/node-container";
import { sshEndpoint } from "../../../infra/swarm/ssh-endpoint";
import { addressOf, createLabNetwork, LabNetwork } from "./lab-network";
import { CachedImage, ensureImage, nodeImage } from "./cached-image";
import { HostKeyPins } from "./host-keys";
import { createServer, NodeDisk, Server } from "./nova";
import type { NodeRelease } from "./releases";
import { newRunContext, RunContext } from "./run-context";
import { connectSsh, generateSshKeyPair, SshKeyPair, SshSession } from "./ssh";
import { TimingRecorder } from "./timings";

export interface LabOptions {
  /** Third octet of the run's 192.168.x.0/24 network; one per scenario. */
  subnetOctet: number;
  /** The tenant network's MTU (OpenStack VXLAN networks have 1450). */
  mtu: number;
  /** The image's login user, to which cloud-init gives the test's public key. */
  sshUser: string;
  /** The Debian release every server of this lab boots. */
  release: NodeRelease;
  /** The stack owner: every object of the run carries the program's owner label with it. */
  owner?: string;
  /** Makes the image the servers boot; default the debootstrap image of `release`. */
  image?: () => Promise<CachedImage>;
}

export interface BootSpec {
  name: string;
  /** Host part of the node's address on the run's /24. */
  hostNumber: number;
  meta: Record<string, string>;
  userData: string;
  disk: NodeDisk;
  /** Ports published on 127.0.0.1 (the local cloud's layout). Default none. */
  publishedPorts?: PublishedNodePort[];
}

export class Lab {
  readonly servers = new Map<string, Server>();
  /** Every server's host key, pinned at first contact; every SSH connection checks it. */
  readonly hostKeys = new HostKeyPins();
  readonly timings: TimingRecorder;
  private closed = false;

  private constructor(
    readonly run: RunContext,
    readonly image: CachedImage,
    readonly network: LabNetwork,
    readonly key: SshKeyPair,
    readonly options: LabOptions,
    timings: TimingRecorder,
  ) {
    this.timings = timings;
  }

  static async open(scenario: string, options: LabOptions): Promise<Lab> {
    const timings = new TimingRecorder(scenario, options.release.label);
    const leftovers = await timings.phase("clean leftovers of crashed runs", () =>
      removeLeftoversOfDeadRuns(),
    );
    if (leftovers.length > 0) timings.note("clean leftovers of crashed runs", leftovers.join(", "));
    const image = await timings.phase(
      "node image (build or cache hit)",
      options.image ?? (() => ensureImage(nodeImage(options.release))),
    );
    timings.note(
      "node image (build or cache hit)",
      `${image.tag}, ${image.cached ? "cache hit" : "built"}`,
    );
    const run = newRunContext(scenario, options.owner);
    // No Lab to close yet if this fails: clean up here, or the run dir would wait for a later run.
    const network = await createLabNetwork(run, options.subnetOctet, options.mtu).catch(
      async (error: Error) => {
        await removeRunResources(run);
        throw error;
      },
    );
    const key = generateSshKeyPair(`swarmlab-system-test-${run.id}`);
    return new Lab(run, image, network, key, options, timings);
  }

  address(hostNumber: number): string {
    return addressOf(this.network, hostNumber);
  }

  /** Creates the server with its config drive (nova's boot), without powering it on. */
  async create(spec: BootSpec): Promise<Server> {
    const server = await createServer(this.run, this.network, this.image.tag, {
      name: spec.name,
      address: this.address(spec.hostNumber),
      disk: spec.disk,
      // A new uuid per server: cloud-init sees a new instance, as with a new nova server.
      metaData: novaMetaData(spec.name, spec.meta, this.key.publicKey, randomUUID()),
      userData: spec.userData,
      ...(spec.publishedPorts ? { publishedPorts: spec.publishedPorts } : {}),
    });
    this.servers.set(spec.name, server);
    return server;
  }

  server(name: string): Server {
    const server = this.servers.get(name);
    if (!server)
      throw new Error(`no server ${name} in this lab (have ${[...this.servers.keys()]})`);
    return server;
  }

  async ssh(name: string, timeoutMs: number): Promise<SshSession> {
    const server = this.server(name);
    const pin = await this.hostKeys.pin(server);
    return connectSsh(
      {
        ...sshEndpoint(server.sshAddress, 22),
        username: this.options.sshUser,
        privateKey: this.key.privateKey,
        hostKey: pin.fingerprint,
      },
      timeoutMs,
    );
  }

  /** The servers at `addresses` (a manager's address, or SSH address, names its current server). */
  serversAt(addresses: string[]): Server[] {
    return [...this.servers.values()].filter(
      (server) => addresses.includes(server.address) || addresses.includes(server.sshAddress),
    );
  }

  /** Removes every container, volume, network and loop device of this run. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const forced = await this.timings.phase("teardown", () => removeRunResources(this.run));
    if (forced.length > 0)
      this.timings.note("teardown", `forced stale endpoint ${forced.join(", ")}`);
  }
}
