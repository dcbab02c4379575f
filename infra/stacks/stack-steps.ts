/**
 * What each remote step of a stack runs, from plain values: the image steps (build and push one
 * service's image) and the stack step (deploy, remove). LabStacks (stacks.ts) hands these to
 * ManagerSteps inside Outputs; the system test hands the same to ManagerStep's provider functions,
 * so both run the same strings.
 */
import * as path from "path";
import { ContextFile, readContextFiles } from "./catalog";
import { BuildSpec, REGISTRY_VARIABLE, StackDefinition } from "./compose";
import { contextTag } from "./image-tag";
import { builtImageName, RenderedStack } from "./render-compose";
import { stackFilesAssignment } from "./stack-files";
import type { RemoteScript } from "../swarm/remote-scripts";
import { stackImageScript, stackScript } from "./stack-scripts";

/**
 * The scripts of one step; add the managers' access, and `registryCredentials` as the secret stdin
 * where the step needs the registry, to make ManagerStep's arguments. The credentials stay apart
 * so the scripts (the compose text) are plain inputs that `pulumi preview --diff` shows.
 */
export interface StepScripts {
  description: string;
  create: RemoteScript;
  delete?: RemoteScript;
  /** The script logs in to the registry: give it the credentials (secretStdin). */
  needsRegistry: boolean;
  /**
   * More of the secret stdin, after the credentials: the files the stack names (secrets,
   * configs, env files). Secret because they often are; the compose text names each by its
   * content's hash, so a changed file still shows in the plain diff.
   */
  secretStdin?: string;
}

/** A service of a stack whose image the cluster builds from a context in the stack's folder. */
export interface BuiltImage {
  service: string;
  build: BuildSpec;
  files: ContextFile[];
  /** The hash of the context: the image changes when, and only when, a file of it changes. */
  tag: string;
}

/** The services of `stack` that build their image, with their contexts read from stacks/. */
export function builtImages(stack: StackDefinition): BuiltImage[] {
  return stack.services.flatMap((service) => {
    if (!service.build) return [];
    const files = readContextFiles(
      path.resolve(stack.dir, service.build.context),
      service.build.dockerfile,
    );
    return [{ service: service.name, build: service.build, files, tag: contextTag(files) }];
  });
}

/** The image a built service runs (render-compose.ts's builtImageName). */
export function imageReference(
  stack: StackDefinition,
  image: BuiltImage,
  registryAddress: string,
): string {
  const services = stack.document.services as Record<string, { image?: unknown }>;
  return builtImageName(stack.name, image.service, services[image.service].image, {
    registry: registryAddress,
    tag: image.tag,
  });
}

/** True when some service of `stack` runs an image from the cluster's registry. */
export function pullsFromRegistry(stack: StackDefinition): boolean {
  const services = (stack.document.services ?? {}) as Record<string, { image?: unknown }>;
  return (
    stack.services.some((service) => service.build !== undefined) ||
    Object.values(services).some(
      (service) =>
        typeof service.image === "string" && service.image.includes(`\${${REGISTRY_VARIABLE}}`),
    )
  );
}

/** Builds one service's image on a manager and pushes it, logged in to the registry. */
export function imageStep(
  stack: StackDefinition,
  image: BuiltImage,
  registryAddress: string,
  timeoutSeconds: number,
): StepScripts {
  const reference = imageReference(stack, image, registryAddress);
  return {
    description: `image of ${stack.name} ${image.service}: build and push`,
    create: stackImageScript(reference, image.build, image.files, timeoutSeconds),
    needsRegistry: true,
  };
}

/**
 * Deploys `rendered` (renderStack's text and files) as `stack` and waits until it converged;
 * removes it on delete. A stack that pulls from the cluster's registry deploys logged in to it.
 */
export function stackStep(
  stack: StackDefinition,
  rendered: RenderedStack,
  timeoutSeconds: number,
): StepScripts {
  const { compose, files } = rendered;
  return {
    description: `stack ${stack.name}: deploy`,
    create: stackScript("deploy", stack.name, compose, timeoutSeconds),
    delete: stackScript("remove", stack.name, compose, timeoutSeconds),
    needsRegistry: pullsFromRegistry(stack),
    ...(files.length > 0 ? { secretStdin: stackFilesAssignment(files) } : {}),
  };
}
