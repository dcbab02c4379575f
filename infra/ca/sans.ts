/**
 * Subject alternative names of the lab's server certificates: every address a client reaches the
 * server at, and nothing else. Pure, so the system test makes its certificates (with openssl) from
 * the very same lists.
 */
import { REGISTRY_DNS_NAME, RegistryHost } from "../config/registry-address";

export interface SanList {
  dnsNames: string[];
  ipAddresses: string[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function sanList(names: (string | undefined)[]): SanList {
  const unique = [...new Set(names.filter((n): n is string => n !== undefined && n !== ""))];
  return {
    dnsNames: unique.filter((n) => !IPV4.test(n)),
    ipAddresses: unique.filter((n) => IPV4.test(n)),
  };
}

/** The registry: manager-0's private address and floating IP, and the registry's DNS name. */
export function registrySans(host: RegistryHost): SanList {
  return sanList([host.privateIp, host.publicIp, REGISTRY_DNS_NAME]);
}

export interface ManagerAddresses {
  /** The node name, e.g. alice-manager-0: also its host name. */
  name: string;
  privateIp: string;
  publicIp?: string;
}

/**
 * A manager's Docker API: its floating IP (the student's laptop), its private address (other
 * nodes, a jump host), its name, and the loopback address for a client on the manager itself.
 */
export function dockerApiSans(manager: ManagerAddresses): SanList {
  return sanList([manager.name, "localhost", manager.privateIp, manager.publicIp, "127.0.0.1"]);
}

/** openssl's `subjectAltName` value for a SAN list, e.g. `DNS:a,IP:10.0.0.1`. */
export function opensslSubjectAltName(sans: SanList): string {
  return [
    ...sans.dnsNames.map((n) => `DNS:${n}`),
    ...sans.ipAddresses.map((ip) => `IP:${ip}`),
  ].join(",");
}
