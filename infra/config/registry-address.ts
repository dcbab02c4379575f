/**
 * Where the registry and the Docker API are reached. Shared by the CA (certificate SANs), the
 * nodes (trust files from instance metadata) and the registry step, so it lives in the lowest
 * folder that needs it.
 *
 * The registry runs on manager-0 (placement constraint) and publishes 5000 in host mode there, so
 * its addresses are manager-0's: the private address (fixed by manager-0's Neutron port, which
 * outlives a replacement of the server) for the nodes, the floating IP (likewise kept) for the
 * student's laptop, and one DNS name that stays valid wherever a student maps it (/etc/hosts).
 */

export const REGISTRY_PORT = 5000;
export const DOCKER_API_PORT = 2376;
/** The registry's name in its certificate; resolves only where someone maps it (e.g. /etc/hosts). */
export const REGISTRY_DNS_NAME = "registry.swarmlab.internal";

export interface RegistryHost {
  /** manager-0's private address: what the nodes (and stacks' image names) use. */
  privateIp: string;
  /** manager-0's floating IP: what the student's laptop uses. */
  publicIp?: string;
}

/** Every host name or address the registry answers at, private address first. */
export function registryHostNames(host: RegistryHost): string[] {
  const names = [host.privateIp];
  if (host.publicIp) names.push(host.publicIp);
  names.push(REGISTRY_DNS_NAME);
  return names;
}

/** `<host>:5000` for every registry address: the directories of /etc/docker/certs.d. */
export function registryEndpoints(host: RegistryHost): string[] {
  return registryHostNames(host).map((name) => `${name}:${REGISTRY_PORT}`);
}
