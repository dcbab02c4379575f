/**
 * The local cloud's layer under the nodes: the lab network (a bridge with the stack's subnet and
 * MTU) and the node image, built from infra/local/image/ on the Docker engine pulumi talks to
 * (DOCKER_HOST, or the local socket), or the one swarmlab:localImage names. What OpenStack's
 * network, router and Glance are to a server.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { labBridgeNetwork, labNetworkName } from "./lab-network";
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
  /** swarmlab:localImage: boot this image instead of building the recipe. */
  localImage?: string;
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
  /** The node image by name, known once it is built (at once when it is swarmlab:localImage). */
  public readonly image: pulumi.Output<string>;
  /** The image's name, known at preview: part of the rebuild key. */
  public readonly imageTag: string;

  constructor(name: string, args: LocalLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:local:LocalLab", name, {}, opts);
    const mtu = args.mtu ?? LOCAL_DEFAULT_MTU;
    const bridge = labBridgeNetwork(labNetworkName(args.owner), args.cidr, mtu, {
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
    if (args.localImage !== undefined) {
      // Nothing to build, and no docker.RemoteImage: the name goes straight to docker.Container,
      // whose create looks the image up on the engine and pulls it only when it is not there
      // (kreuzwerker/terraform-provider-docker, internal/provider/: resource_docker_container_
      // funcs.go create -> findImage in resource_docker_image_funcs.go: searchLocalImages, else
      // pullImage); deleting a container leaves its image, and a container given a name (not a
      // sha256 id) reads back that name, so a refresh sees no change. A RemoteImage would do the
      // same lookup and add only harm: without keepLocally, `pulumi destroy` removes the
      // teacher's image (removeImage); and its imageId, re-read on refresh, would replace every
      // node unannounced after a rebuild under the same name, where the rebuild key names the
      // image as the config does (cluster.ts), as Glance images stay pinned on OpenStack.
      this.imageTag = args.localImage;
      this.image = pulumi.output(args.localImage);
    } else {
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
      this.image = image.imageName;
    }
    this.networkName = network.name;
    this.mtu = pulumi.output(mtu);
    this.registerOutputs({ networkName: this.networkName, image: this.image });
  }
}
