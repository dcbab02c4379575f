/**
 * Writes one student's bundle folder: 0700, every file 0600 from its first byte
 * (private-files.ts). Files of an earlier run are replaced, not rewritten in place.
 * `knownHosts`: the managers' host keys, already checked against their pins (host-keys.ts).
 */
import * as path from "node:path";
import { contextArchive } from "./context-archive";
import {
  BUNDLE_FILE,
  BundleSource,
  CONTEXT_FILE,
  GUIDE_FILE,
  KNOWN_HOSTS_FILE,
  PASSWORD_FILE,
  renderGuide,
  renderSshConfig,
  SSH_CONFIG_FILE,
  SSH_KEY_FILE,
  STACK_SECRETS_FILE,
  renderStackSecrets,
} from "./contents";
import { KnownHost, renderKnownHosts } from "./host-keys";
import { privateDir, writePrivateFile } from "./private-files";

export async function writeBundle(
  dir: string,
  source: BundleSource,
  knownHosts: KnownHost[],
): Promise<string[]> {
  const { data } = source;
  const archive = await contextArchive(data.context, {
    description: `swarmlab cluster of stack ${data.stack} (manager-0, mutual TLS)`,
    host: data.dockerHost,
    caCertificate: data.caCertificate,
    clientCertificate: data.clientCertificate,
    clientKey: data.clientKey,
  });
  const files: [string, string | Buffer][] = [
    [CONTEXT_FILE, archive],
    [SSH_KEY_FILE, source.sshPrivateKey],
    [SSH_CONFIG_FILE, renderSshConfig(data)],
    [KNOWN_HOSTS_FILE, renderKnownHosts(knownHosts)],
    // Exactly the password: `docker login --password-stdin` reads it from this file.
    [PASSWORD_FILE, data.registryPassword],
    [BUNDLE_FILE, `${JSON.stringify(data, null, 2)}\n`],
    [GUIDE_FILE, renderGuide(data)],
    ...(Object.keys(data.stackSecrets ?? {}).length > 0
      ? ([[STACK_SECRETS_FILE, renderStackSecrets(data.stackSecrets ?? {})]] as [string, string][])
      : []),
  ];
  privateDir(dir);
  for (const [name, content] of files) writePrivateFile(path.join(dir, name), content);
  return files.map(([name]) => name);
}
