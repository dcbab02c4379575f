/**
 * The local cloud's layer under the nodes: the lab network (a bridge with the stack's subnet and
 * MTU) and the node image, built from infra/local/image/ on the Docker engine pulumi talks to
 * (DOCKER_HOST, or the local socket). What OpenStack's network, router and Glance are to a server.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { labBridgeNetwork } from "./lab-network";
import { OWNER_LABEL } from "./local-node";

/** The node image's recipe: a Dockerfile and the cloud-init settings it copies in. */
export const LOCAL_IMAGE_DIR = join(__dirname, "image");
/** The bridge's MTU unless swarmlab:mtu says otherwise: Docker's own default. */
export const LOCAL_DEFAULT_MTU = 1500;

export interface LocalLabArgs {
  owner: string;
  cidr: string;
  mtu?: number;
  sshUser: string;
}

/** Every file of `dir`, relative path and content, in a stable order. */
function recipeFiles(dir: string): [string, string][] {
  const walk = (at: string): string[] =>
    readdirSync(at)
      .sort()
      .flatMap((entry) => {
        const path = join(at, entry);
        return statSync(path).isDirectory() ? walk(path) : [path];
      });
  return walk(dir).map((path) => [relative(dir, path), readFileSync(path, "utf8")]);
}

/** The image's tag: a hash of its recipe and the login user, so either change rebuilds it. */
export function localImageTag(sshUser: string, dir = LOCAL_IMAGE_DIR): string {
  const hash = createHash("sha256").update(JSON.stringify([sshUser, recipeFiles(dir)]));
  return `swarmlab-local-node:${hash.digest("hex").slice(0, 16)}`;
}

export class LocalLab extends pulumi.ComponentResource {
  public readonly networkName: pulumi.Output<string>;
  public readonly mtu: pulumi.Output<number>;
  /** The node image by name, known once it is built. */
  public readonly image: pulumi.Output<string>;
  /** The image's tag, known at preview: part of the rebuild key. */
  public readonly imageTag: string;

  constructor(name: string, args: LocalLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:local:LocalLab", name, {}, opts);
    const mtu = args.mtu ?? LOCAL_DEFAULT_MTU;
    const bridge = labBridgeNetwork(`${args.owner}-swarmlab`, args.cidr, mtu, {
      [OWNER_LABEL]: args.owner,
    });
    const network = new docker.Network(
      `${name}-network`,
      {
        name: bridge.name,
        driver: bridge.driver,
        ipamConfigs: [{ subnet: bridge.subnet, gateway: bridge.gateway }],
        options: bridge.options,
        labels: Object.entries(bridge.labels).map(([label, value]) => ({ label, value })),
      },
      { parent: this },
    );
    this.imageTag = localImageTag(args.sshUser);
    const image = new docker.Image(
      `${name}-node-image`,
      {
        imageName: this.imageTag,
        build: {
          context: LOCAL_IMAGE_DIR,
          dockerfile: join(LOCAL_IMAGE_DIR, "Dockerfile"),
          args: { SSH_USER: args.sshUser },
        },
        // The image stays on this Docker engine: the nodes run there.
        skipPush: true,
      },
      { parent: this },
    );
    this.networkName = network.name;
    this.mtu = pulumi.output(mtu);
    this.image = image.imageName;
    this.registerOutputs({ networkName: this.networkName, image: this.image });
  }
}
