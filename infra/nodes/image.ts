/**
 * Which Glance image the servers boot, and why it never changes by surprise.
 *
 * The provider treats `imageName`/`imageId` as updatable: a change REBUILDS the server in place
 * (same id, fresh disk; openstack-schema.ts), and after a refresh its Read writes "Image not
 * found" into imageName when the operators deleted or renamed the image, which the next update
 * would "fix" by rebuilding every server. So the servers are only ever given an id, resolved
 * before any resource is declared (resolveImage, awaited by the program's entry point, so that a
 * bad name fails the preview like any other config problem):
 *   - `swarmlab:imageId` names the image by id: it wins, nothing is looked up;
 *   - a stack output `image` of the previous deployment with the same name: its id is kept (the
 *     pin), and the name is looked up only to warn when it now means another image or none;
 *   - otherwise (the first deployment, or a new `swarmlab:image`) the name is looked up in Glance
 *     at preview and must name exactly one visible image, else the preview fails and says to set
 *     swarmlab:imageId. The servers boot by that id from their first deployment on, and the
 *     stack output `image` records it for the next one;
 *   - changing `swarmlab:image` or `swarmlab:imageId` is a deliberate rebuild: the image is part
 *     of the rebuild key (cluster.ts), every server is replaced and the preview warns that a new
 *     swarm starts.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { toInputPropertiesError } from "../config/config";
import type { ConfigProblem } from "../config/validate";

/** The stack output `image`: what the servers of the last deployment booted. */
export interface ImagePin {
  /** The configured name; "" when the image was chosen by id. */
  name: string;
  id: string;
}

/** Where the id the servers boot came from. */
export type ImageSource = "configured" | "pinned" | "looked-up";

/** The image every server of this deployment boots, always by id. */
export interface ResolvedImage extends ImagePin {
  source: ImageSource;
}

export interface ImageConfig {
  image: string;
  imageId?: string;
}

/** Glance's answer to a look-up by name: the image's id, or the provider's error. */
export type ImageLookup = { id: string } | { error: string };

/** The stack output `image` of the previous deployment; anything malformed counts as none. */
export function parseImagePin(value: unknown): ImagePin | undefined {
  const pin = (value ?? {}) as Record<string, unknown>;
  if (typeof pin.id !== "string" || pin.id === "" || typeof pin.name !== "string") return undefined;
  return { name: pin.name, id: pin.id };
}

/**
 * The id without a look-up (configured or pinned); undefined when the name must be looked up.
 * A pin is kept only while swarmlab:image still names what it was resolved from.
 */
export function knownImage(
  config: ImageConfig,
  previous: ImagePin | undefined,
): ResolvedImage | undefined {
  if (config.imageId !== undefined) return { name: "", id: config.imageId, source: "configured" };
  if (previous !== undefined && previous.name === config.image) {
    return { ...previous, source: "pinned" };
  }
  return undefined;
}

/** What identifies the image in the rebuild key: a pin does not change it, a new choice does. */
export function imageKey(config: ImageConfig): string {
  return config.imageId !== undefined ? `id:${config.imageId}` : config.image;
}

/**
 * The config problem when a name to boot does not resolve to exactly one image. The provider's
 * data source answers "Your query returned more than one result" for several visible images of
 * one name and "Your query returned no results" for none (data_source_openstack_images_image_v2.go).
 */
export function imageLookupProblem(name: string, error: string): ConfigProblem {
  const what = /more than one/i.test(error)
    ? "names more than one visible Glance image"
    : /no results/i.test(error)
      ? "names no visible Glance image"
      : "could not be looked up in Glance";
  const detail = error ? ` (the provider said: ${error})` : "";
  return {
    key: "image",
    reason:
      `is ${JSON.stringify(name)}, which ${what}${detail}. Set swarmlab:imageId to the id of the ` +
      `image to boot (\`openstack image list --name ${JSON.stringify(name)}\` lists them), or ` +
      "set swarmlab:image to a name that Glance has exactly once",
  };
}

/** The warning when a pinned name now means another image, or none; undefined when it is the same. */
export function imageDriftWarning(
  owner: string,
  pin: ImagePin,
  lookedUp: ImageLookup,
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

/** Glance through the provider's data source; a failure is returned, not thrown. */
async function lookUp(name: string, mostRecent: boolean): Promise<ImageLookup> {
  return openstack.images
    .getImage(mostRecent ? { name, mostRecent } : { name })
    .then((image) => ({ id: image.id }))
    .catch((error: unknown) => ({
      error: error instanceof Error ? error.message : String(error),
    }));
}

/**
 * The image of this deployment, by id. Throws the config problem (an InputPropertiesError, as
 * for every bad config) when a name to boot names no image or several; warns when a pinned name
 * has moved, and never fails for it: the servers run on the pinned id.
 */
export async function resolveImage(
  owner: string,
  config: ImageConfig,
  previous: ImagePin | undefined,
): Promise<ResolvedImage> {
  const known = knownImage(config, previous);
  if (known?.source === "pinned") {
    // most_recent: a newer upload of the same name is the very drift to report, not an error.
    const warning = imageDriftWarning(owner, known, await lookUp(known.name, true));
    if (warning) await pulumi.log.warn(warning);
  }
  if (known !== undefined) return known;
  const found = await lookUp(config.image, false);
  if ("error" in found)
    throw toInputPropertiesError([imageLookupProblem(config.image, found.error)]);
  return { name: config.image, id: found.id, source: "looked-up" };
}
