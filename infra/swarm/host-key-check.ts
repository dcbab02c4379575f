/**
 * Host-key pins as the program passes them around: what a step knows of a manager's key, which
 * pins a step registers, and the pins of a previous deployment read back from its outputs.
 * The dynamic providers only import types from here: Pulumi serialises their functions with
 * everything they capture, so what they run lives in their own files.
 */
import { sshFingerprint } from "./host-key-pin-provider";

/** What a step knows of one manager's host key: pinned at first contact, bound to the server. */
export interface PinnedHostKey {
  /** The server's name, for messages (e.g. "alice-manager-0"). */
  server: string;
  /** `SHA256:<base64, no padding>`, as `ssh-keygen -l` and OpenSSH's own messages show it. */
  fingerprint: string;
  /** What to replace after a legitimate rebuild under the same server id (the pin's URN). */
  pin: string;
}

/** Manager address -> its pinned host key. */
export type HostKeys = Record<string, PinnedHostKey>;

/** The fingerprint of a public key line (`ssh-ed25519 AAAA... comment`, a .pub file). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const [, blob] = line.trim().split(/\s+/);
  if (!blob) throw new Error(`not an OpenSSH public key line: ${JSON.stringify(line)}`);
  return sshFingerprint(Buffer.from(blob, "base64"));
}

/** The pins of `managers`, in their order: what a step registers (and nothing of others). */
export function pinsOf(hostKeys: HostKeys | undefined, managers: string[]): HostKeys {
  const pins: HostKeys = {};
  for (const address of managers) {
    const pin = hostKeys?.[address];
    if (pin) pins[address] = pin;
  }
  return pins;
}

/**
 * The `hostKeys` stack output of a previous deployment; entries that are not pins are left out
 * (a step then skips that manager rather than trusting it unchecked).
 */
export function parseHostKeys(value: unknown): HostKeys {
  const pins: HostKeys = {};
  if (typeof value !== "object" || value === null) return pins;
  for (const [address, item] of Object.entries(value as Record<string, unknown>)) {
    const pin = (item ?? {}) as Record<string, unknown>;
    const { server, fingerprint, pin: urn } = pin;
    if (typeof server !== "string" || typeof fingerprint !== "string") continue;
    if (!fingerprint.startsWith("SHA256:")) continue;
    pins[address] = { server, fingerprint, pin: typeof urn === "string" ? urn : "" };
  }
  return pins;
}
