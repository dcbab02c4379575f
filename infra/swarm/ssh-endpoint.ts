/**
 * Where this machine reaches a node's sshd: a manager's address as the swarm steps hold it. On
 * OpenStack it is the floating IP alone (port 22); on the local cloud every manager is on
 * 127.0.0.1, told apart by its published port: "127.0.0.1:2222". The address string stays the
 * key of the host-key pins, so two managers behind one host never share a pin.
 */
export interface SshEndpoint {
  host: string;
  port: number;
}

/** "host" (the given default port) or "host:port". */
export function sshEndpoint(address: string, defaultPort: number): SshEndpoint {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (match === null) return { host: address, port: defaultPort };
  return { host: match[1], port: Number(match[2]) };
}

/** The address string of `host` at `port` (the default port gives the bare host). */
export function sshAddress(host: string, port: number, defaultPort = 22): string {
  return port === defaultPort ? host : `${host}:${port}`;
}
