/**
 * Which Docker engine the local cloud's pre-flight asks: the one @pulumi/docker will create the
 * lab on, found as that provider finds it. Pure: the provider config, the environment, the home
 * directory and the platform come in as arguments (engine-preflight.ts reads them).
 *
 * The provider's own resolution (pulumi/pulumi-docker, read at 237b7899, unchanged in these
 * functions since v5.1.0; @pulumi/docker 5.2.0 here: provider/provider.go
 * `setConfiguration` and `Configure`, provider/image.go `configureDockerClient`; its Configure
 * hands the result to the bridged kreuzwerker/terraform-provider-docker through DOCKER_HOST):
 *  - the `docker:host` config key, else the DOCKER_HOST variable, is an explicit host: only it is
 *    tried;
 *  - else the Docker client's default (unix:///var/run/docker.sock; npipe:////./pipe/docker_engine
 *    on Windows), and when that does not answer, on other systems than Windows, the per-user
 *    sockets of Docker Desktop: ~/.docker/run/docker.sock, then ~/.docker/desktop/docker.sock;
 *  - ssh:// goes through the docker CLI's ssh connection helper (with `docker:sshOpts`);
 *  - certificates (`docker:certPath`, `docker:caMaterial`/`certMaterial`/`keyMaterial`, their
 *    variables DOCKER_CERT_PATH, DOCKER_CA_MATERIAL/CERT_MATERIAL/KEY_MATERIAL, or the Docker
 *    client's DOCKER_TLS_VERIFY) make it speak TLS.
 * Docker contexts (`docker context use`, DOCKER_CONTEXT) are the CLI's, not the client
 * library's: the provider does not read them, so neither does this.
 *
 * The pre-flight reads unix sockets, Windows named pipes and plain tcp://; it does not speak TLS
 * or SSH, and says so (engine-preflight.ts warns) instead of failing the preview.
 */

/** Where the Docker client library connects by default on Linux and macOS. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
/** ... and on Windows. */
export const DEFAULT_WINDOWS_DOCKER_HOST = "npipe:////./pipe/docker_engine";
/** Docker Desktop's per-user sockets, tried after the default (relative to the home directory). */
export const USER_DOCKER_SOCKETS = [".docker/run/docker.sock", ".docker/desktop/docker.sock"];

/** The provider settings and environment variables that decide the host. */
export interface EngineHostInputs {
  /** `docker:host` and the other `docker:` provider keys that matter, as the stack sets them. */
  providerConfig: Readonly<{
    host?: string;
    certPath?: string;
    caMaterial?: string;
    certMaterial?: string;
    keyMaterial?: string;
  }>;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  platform: NodeJS.Platform;
}

/** One engine address the pre-flight can read: a socket (unix or named pipe) or plain TCP. */
export type EngineEndpoint =
  { address: string; socketPath: string } | { address: string; host: string; port: number };

export type EngineTarget =
  /** Try these in order; the first that answers is the provider's engine. */
  | { readable: true; endpoints: EngineEndpoint[] }
  /** An engine the pre-flight cannot read, and why. */
  | { readable: false; address: string; why: string };

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** A DOCKER_HOST-style address as the pre-flight reaches it, or why it cannot. */
export function engineEndpoint(
  address: string,
  tls: boolean,
): { ok: true; endpoint: EngineEndpoint } | { ok: false; why: string } {
  const match = /^([a-z]+):\/\/(.*)$/.exec(address);
  if (match === null) return { ok: false, why: "it is not a scheme://address Docker host" };
  const [, scheme, rest] = match;
  if (scheme === "unix") return { ok: true, endpoint: { address, socketPath: rest } };
  if (scheme === "npipe") {
    // npipe:////./pipe/docker_engine is the pipe \\.\pipe\docker_engine.
    return { ok: true, endpoint: { address, socketPath: rest.replace(/\//g, "\\") } };
  }
  if (scheme === "ssh") {
    return { ok: false, why: "it is reached over SSH, which the pre-flight does not do" };
  }
  if (scheme === "tcp" || scheme === "http") {
    if (tls) {
      return {
        ok: false,
        why: "the provider speaks TLS to it (certificates are configured), which the pre-flight does not",
      };
    }
    const hostPort = /^(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(rest);
    if (hostPort === null) return { ok: false, why: "it names no host:port" };
    return {
      ok: true,
      endpoint: { address, host: hostPort[1].replace(/^\[|\]$/g, ""), port: Number(hostPort[2]) },
    };
  }
  return { ok: false, why: `the pre-flight does not read ${scheme}:// hosts` };
}

/** The engine(s) @pulumi/docker would use for these settings, in the order it tries them. */
export function engineTarget(inputs: EngineHostInputs): EngineTarget {
  const { providerConfig: config, env } = inputs;
  const explicit = nonEmpty(config.host) ?? nonEmpty(env.DOCKER_HOST);
  const tls =
    [config.certPath, config.caMaterial, config.certMaterial, config.keyMaterial].some(
      (value) => nonEmpty(value) !== undefined,
    ) ||
    [
      env.DOCKER_CERT_PATH,
      env.DOCKER_TLS_VERIFY,
      env.DOCKER_CA_MATERIAL,
      env.DOCKER_CERT_MATERIAL,
      env.DOCKER_KEY_MATERIAL,
    ].some((value) => nonEmpty(value) !== undefined);
  const windows = inputs.platform === "win32";
  const addresses =
    explicit !== undefined
      ? [explicit]
      : windows
        ? [DEFAULT_WINDOWS_DOCKER_HOST]
        : [
            DEFAULT_DOCKER_HOST,
            ...USER_DOCKER_SOCKETS.map((socket) => `unix://${inputs.home}/${socket}`),
          ];
  const endpoints: EngineEndpoint[] = [];
  for (const address of addresses) {
    const found = engineEndpoint(address, tls);
    if (!found.ok) return { readable: false, address, why: found.why };
    endpoints.push(found.endpoint);
  }
  return { readable: true, endpoints };
}
