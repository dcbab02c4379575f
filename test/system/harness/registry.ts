/**
 * The lab registry and the Docker API over TLS, as the Pulumi program sets them up after the ready
 * gate (infra/ca, infra/registry), with the project's own SAN lists, compose text and scripts.
 * The tls provider cannot run here, so the certificates are made with openssl from the SAN
 * builders' lists; the registry image is Debian's docker-registry, tagged as the configured image.
 *
 * For a scenario: `labPki()` before the cluster boots (every node's metadata carries the CA via
 * `registryTrustFor()`), then `enableDockerApi()` and `deployRegistry()` after the ready gate.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashSync } from "bcryptjs";
import { randomBytes } from "node:crypto";
import type { RegistryTrust } from "../../../infra/config/metadata";
import { RegistryHost, registryEndpoints } from "../../../infra/config/registry-address";
import {
  dockerApiSans,
  opensslSubjectAltName,
  registrySans,
  SanList,
} from "../../../infra/ca/sans";
import { dockerApiTlsScript } from "../../../infra/ca/docker-api";
import { htpasswdFile, registryDeployScript } from "../../../infra/registry/registry-files";
import { REGISTRY_USER } from "../../../infra/registry/registry";
import type { NodeIdentity } from "../../../infra/config/naming";
import { ensureImage, preloadImage, REGISTRY_IMAGE } from "./cached-image";
import { dockerOk, execInNode } from "./docker";
import { runOk } from "./process";
import type { CommandResult } from "./process";
import type { SwarmCluster } from "./swarm-cluster";

/** What `swarmlab:registryImage` defaults to; the local image is tagged so on manager-0. */
export const CONFIGURED_REGISTRY_IMAGE = "registry:2";
/** Deadline of the registry's readiness wait in the test (the program gives it 600 s). */
export const REGISTRY_TIMEOUT_SECONDS = 120;

export interface Pem {
  certificate: string;
  privateKey: string;
}

export interface LabPki {
  dir: string;
  caCertificate: string;
  registry: Pem;
  dockerApi: Pem;
  client: Pem;
  /** Files of the client's certificates for a docker CLI on this host (`--tlscacert` ...). */
  clientFiles: { ca: string; cert: string; key: string };
  remove(): void;
}

async function openssl(args: string[]): Promise<void> {
  await runOk("openssl", args, { timeoutMs: 30_000 });
}

/**
 * A lab CA and the registry, manager-0 API and client certificates, with the SANs of
 * infra/ca/sans.ts, as the tls provider would make them (ECDSA P-256).
 */
export async function labPki(
  registryHost: RegistryHost,
  manager0: { name: string; privateIp: string },
  registrySanList: SanList = registrySans(registryHost),
): Promise<LabPki> {
  const dir = mkdtempSync(join(tmpdir(), "swarmlab-pki-"));
  const path = (name: string) => join(dir, name);
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    path("ca.key"),
    "-out",
    path("ca.crt"),
    "-days",
    "7",
    "-subj",
    "/O=swarmlab test/CN=swarmlab test lab CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  const issue = async (role: string, sans: SanList | undefined, usage: string): Promise<Pem> => {
    await openssl([
      "req",
      "-new",
      ...newKey,
      "-keyout",
      path(`${role}.key`),
      "-out",
      path(`${role}.csr`),
      "-subj",
      `/O=swarmlab test/CN=${role}`,
    ]);
    const extensions = [
      `extendedKeyUsage=${usage}`,
      "keyUsage=critical,digitalSignature,keyAgreement",
    ];
    if (sans) extensions.push(`subjectAltName=${opensslSubjectAltName(sans)}`);
    writeFileSync(path(`${role}.ext`), extensions.join("\n") + "\n");
    await openssl([
      "x509",
      "-req",
      "-in",
      path(`${role}.csr`),
      "-CA",
      path("ca.crt"),
      "-CAkey",
      path("ca.key"),
      "-CAcreateserial",
      "-days",
      "7",
      "-extfile",
      path(`${role}.ext`),
      "-out",
      path(`${role}.crt`),
    ]);
    return {
      certificate: readFileSync(path(`${role}.crt`), "utf8"),
      privateKey: readFileSync(path(`${role}.key`), "utf8"),
    };
  };
  const registry = await issue("registry", registrySanList, "serverAuth");
  const dockerApi = await issue(
    "docker-api",
    dockerApiSans({ name: manager0.name, privateIp: manager0.privateIp }),
    "serverAuth",
  );
  const client = await issue("client", undefined, "clientAuth");
  return {
    dir,
    caCertificate: readFileSync(path("ca.crt"), "utf8"),
    registry,
    dockerApi,
    client,
    clientFiles: { ca: path("ca.crt"), cert: path("client.crt"), key: path("client.key") },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the program puts into every node's metadata: the CA and the registry's endpoints. */
export function registryTrustFor(pki: LabPki, host: RegistryHost): RegistryTrust {
  return { caCertificate: pki.caCertificate, endpoints: registryEndpoints(host) };
}

export interface RegistryLogin {
  user: string;
  password: string;
  htpasswd: string;
}

/** A generated password and its bcrypt htpasswd line, as RandomPassword's bcryptHash gives. */
export function registryLogin(): RegistryLogin {
  const password = randomBytes(16).toString("hex");
  return {
    user: REGISTRY_USER,
    password,
    htpasswd: htpasswdFile(REGISTRY_USER, hashSync(password, 10)),
  };
}

/** The program's Docker API step on manager-0 (it restarts dockerd there). */
export async function enableDockerApi(cluster: SwarmCluster, pki: LabPki): Promise<CommandResult> {
  return cluster.runOnManager0(
    dockerApiTlsScript({
      caCertificate: pki.caCertificate,
      certificate: pki.dockerApi.certificate,
      privateKey: pki.dockerApi.privateKey,
      timeoutSeconds: 120,
    }),
  );
}

/** The registry image on manager-0 under the configured name, as a pull from Docker Hub would. */
export async function preloadRegistryImage(
  cluster: SwarmCluster,
  image = CONFIGURED_REGISTRY_IMAGE,
): Promise<void> {
  const local = await ensureImage(REGISTRY_IMAGE);
  const container = cluster.server(cluster.manager0).container;
  await preloadImage(local.tag, container);
  await dockerOk(["exec", container, "docker", "tag", local.tag, image]);
}

/** The program's registry step: deploy the stack from manager-0 and wait until it answers. */
export async function deployRegistry(
  cluster: SwarmCluster,
  pki: LabPki,
  login: RegistryLogin,
  image = CONFIGURED_REGISTRY_IMAGE,
  timeoutSeconds = REGISTRY_TIMEOUT_SECONDS,
): Promise<CommandResult> {
  return cluster.runOnManager0(
    registryDeployScript({
      image,
      node: cluster.manager0.name,
      certificate: pki.registry.certificate,
      privateKey: pki.registry.privateKey,
      htpasswd: login.htpasswd,
      endpoint: registryEndpoints({ privateIp: cluster.addressOf(cluster.manager0) })[0],
      user: login.user,
      password: login.password,
      caCertificate: pki.caCertificate,
      timeoutSeconds,
    }),
  );
}

/** The registry endpoint the nodes use: manager-0's private address. */
export function internalEndpoint(cluster: SwarmCluster): string {
  return registryEndpoints({ privateIp: cluster.addressOf(cluster.manager0) })[0];
}

/** `docker login` on a node, the password on stdin. */
export function dockerLogin(
  container: string,
  endpoint: string,
  login: RegistryLogin,
): Promise<CommandResult> {
  return execInNode(
    container,
    `docker login --username ${login.user} --password-stdin ${endpoint}`,
    {
      input: login.password,
    },
  );
}

/** Pulls `reference` on a node after removing any local copy, so the registry must serve it. */
export async function pullFresh(container: string, reference: string): Promise<CommandResult> {
  await execInNode(container, `docker image rm --force ${reference} >/dev/null 2>&1; true`);
  return execInNode(container, `docker pull ${reference}`, { timeoutMs: 120_000 });
}

/** The nodes of a cluster that pull: every worker. */
export function workers(cluster: SwarmCluster): NodeIdentity[] {
  return cluster.nodes.filter((node) => node.role === "worker");
}
