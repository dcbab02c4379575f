/**
 * Which Glance image the servers boot, and why it never changes by surprise.
 *
 * The provider treats `imageName`/`imageId` as updatable: a change REBUILDS the server in place
 * (same id, fresh disk; openstack-schema.ts), and after a refresh its Read writes "Image not
 * found" into imageName when the operators deleted or renamed the image, which the next update
 * would "fix" by rebuilding every server. So:
 *   - `swarmlab:imageId` names the image by id: it wins, nothing is looked up;
 *   - otherwise the first deployment boots by name (the provider resolves it when it creates the
 *     servers) and the stack output `image` records the id manager-0 got; every later deployment
 *     boots by that pinned id and sends no name, so nothing Glance does upstream reaches the
 *     servers. The name is looked up again at preview only to warn when it now means another
 *     image or none;
 *   - changing `swarmlab:image` or `swarmlab:imageId` is a deliberate rebuild: the image is part
 *     of the rebuild key (cluster.ts), every server is replaced and the preview warns that a new
 *     swarm starts.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

/** The stack output `image`: what the servers of the last deployment booted. */
export interface ImagePin {
  /** The configured name; "" when the image was chosen by id. */
  name: string;
  id: string;
}

/** What a server is given: an id (configured or pinned) or, on a first deployment, a name. */
export type ImageChoice =
  | { imageId: string; pinned: boolean; imageName?: undefined }
  | { imageName: string; imageId?: undefined };

export interface ImageConfig {
  image: string;
  imageId?: string;
}

/** The stack output `image` of the previous deployment; anything malformed counts as none. */
export function parseImagePin(value: unknown): ImagePin | undefined {
  const pin = (value ?? {}) as Record<string, unknown>;
  if (typeof pin.id !== "string" || pin.id === "" || typeof pin.name !== "string") return undefined;
  return { name: pin.name, id: pin.id };
}

export function chooseImage(config: ImageConfig, previous: ImagePin | undefined): ImageChoice {
  if (config.imageId !== undefined) return { imageId: config.imageId, pinned: false };
  if (previous !== undefined && previous.name === config.image) {
    return { imageId: previous.id, pinned: true };
  }
  return { imageName: config.image };
}

/** What identifies the image in the rebuild key: a pin does not change it, a new choice does. */
export function imageKey(config: ImageConfig): string {
  return config.imageId !== undefined ? `id:${config.imageId}` : config.image;
}

/** The warning when a pinned name now means another image, or none; undefined when it is the same. */
export function imageDriftWarning(
  owner: string,
  pin: ImagePin,
  lookedUp: { id: string } | { error: string },
): string | undefined {
  if ("id" in lookedUp && lookedUp.id === pin.id) return undefined;
  const now =
    "id" in lookedUp
      ? `now names another image (${lookedUp.id})`
      : `no longer resolves in Glance${lookedUp.error ? ` (${lookedUp.error})` : ""}`;
  return (
    `${owner}: swarmlab:image "${pin.name}" ${now}. The servers keep the image they booted ` +
    `(${pin.id}) and are not rebuilt; servers added later boot it too while Glance still has ` +
    "it. To move to the new image set swarmlab:imageId to its id: that replaces every server " +
    "and starts a new swarm"
  );
}

/**
 * The image as an id, which a boot volume needs (a block device names its image by id): the
 * chosen id, or the name looked up at preview. Several visible images of that name fail here,
 * as in the provider: set swarmlab:imageId then.
 */
export function imageIdOf(choice: pulumi.Output<ImageChoice>): pulumi.Output<string> {
  return choice.apply(async (image) => {
    if (image.imageId !== undefined) return image.imageId;
    const found = await openstack.images
      .getImage({ name: image.imageName })
      .catch((error: unknown) => {
        throw new Error(
          `swarmlab:image "${image.imageName}": ${error instanceof Error ? error.message : String(error)}; ` +
            "name the image by id with swarmlab:imageId (see openstack image list)",
        );
      });
    return found.id;
  });
}

/** Looks the pinned name up at preview and warns when Glance moved it; never fails the update. */
export function warnIfImageMoved(
  owner: string,
  pin: pulumi.Output<ImagePin | undefined>,
  config: ImageConfig,
): void {
  pin.apply(async (previous) => {
    const choice = chooseImage(config, previous);
    if (previous === undefined || choice.imageId === undefined || !choice.pinned) return;
    // A failed look-up is the very case to report (image deleted, renamed, or now ambiguous
    // without most_recent), not a reason to stop: the servers run on the pinned id.
    const lookedUp = await openstack.images
      .getImage({ name: previous.name, mostRecent: true })
      .then((image) => ({ id: image.id }))
      .catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      }));
    const warning = imageDriftWarning(owner, previous, lookedUp);
    if (warning) await pulumi.log.warn(warning);
  });
}
