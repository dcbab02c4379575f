/**
 * The Docker API over mutual TLS on the managers: the daemon.json keys, the systemd drop-in and
 * the script that installs them with the manager's certificate (templates/docker-api-tls.*).
 * Pure builders; the system test runs the same script. Workers get none of it: the API is a
 * manager's, and user-data (the same on every node) never carries it.
 */
import { DOCKER_API_PORT } from "../config/registry-address";
import { templateFile } from "../nodes/templates";
import { RemoteScript, remoteScriptWithFiles } from "../swarm/remote-scripts";

export const DOCKER_TLS_DIR = "/etc/docker/tls";

/** daemon.json keys for the API: the local socket stays, TCP only with client certificates. */
export function dockerApiDaemonKeys(): Record<string, unknown> {
  return {
    hosts: ["unix:///var/run/docker.sock", `tcp://0.0.0.0:${DOCKER_API_PORT}`],
    tls: true,
    tlsverify: true,
    tlscacert: `${DOCKER_TLS_DIR}/ca.pem`,
    tlscert: `${DOCKER_TLS_DIR}/server-cert.pem`,
    tlskey: `${DOCKER_TLS_DIR}/server-key.pem`,
  };
}

/** The docker.service drop-in that clears `-H fd://` (it clashes with daemon.json `hosts`). */
export function dockerApiDropIn(): string {
  return templateFile("docker-api-tls.conf");
}

export interface DockerApiTlsArgs {
  caCertificate: string;
  certificate: string;
  privateKey: string;
  timeoutSeconds: number;
}

/** Installs the manager's API certificate and settings; restarts dockerd only on a change. */
export function dockerApiTlsScript(args: DockerApiTlsArgs): RemoteScript {
  if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds <= 0) {
    throw new Error(
      `timeout must be a positive whole number of seconds, got ${args.timeoutSeconds}`,
    );
  }
  return remoteScriptWithFiles("docker-api-tls.sh", [String(args.timeoutSeconds)], {
    ca: args.caCertificate,
    cert: args.certificate,
    key: args.privateKey,
    daemon_keys: JSON.stringify(dockerApiDaemonKeys(), null, 2) + "\n",
    dropin: dockerApiDropIn(),
  });
}
