/**
 * What the local cloud's pre-flight reads from the Docker engine, in the Docker Engine API's own
 * JSON shapes and field names (https://docs.docker.com/reference/api/engine/, the same in API
 * 1.41, Docker 20.10, and in current releases): only the fields it uses.
 */

/** One element of GET /networks (NetworkList: Network). */
export interface EngineNetwork {
  Name: string;
  Id: string;
  Driver?: string;
  /** `Config` is null or empty for networks without an address pool (host, none). */
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null } | null;
  Labels?: Record<string, string> | null;
}

/** One element of a container's `Ports` (Port): host side present only when published. */
export interface EnginePort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: "tcp" | "udp" | "sctp";
}

/** One element of GET /containers/json?all=1 (ContainerSummary). */
export interface EngineContainer {
  Id: string;
  /** With a leading slash: ["/alice-manager-0"]. */
  Names: string[];
  State?: string;
  /** Only what a running container publishes; a stopped one lists none. */
  Ports?: EnginePort[] | null;
  Labels?: Record<string, string> | null;
}

/** What the pre-flight knows of the engine. */
export interface EngineFacts {
  /** The address that answered (unix:///var/run/docker.sock, ...). */
  address: string;
  networks: EngineNetwork[];
  containers: EngineContainer[];
  /** GET /info `MemTotal`: the memory the engine's containers share (Docker Desktop: its VM's). */
  memTotalBytes?: number;
}
