/**
 * The pre-flight's thin reader of the Docker Engine API (https://docs.docker.com/reference/api/
 * engine/): GET /_ping, /networks, /containers/json?all=1 and /info over a unix socket, a Windows
 * named pipe or plain TCP. Unversioned paths: the engine answers them at its own API version, and
 * a fixed old one is refused by current engines (Docker 29 serves 1.44 and newer only), while the
 * fields read here are the same in all of them.
 *
 * node:http rather than dockerode/docker-modem: four GETs are a few lines, dockerode brings gRPC
 * and protobuf with it, and docker-modem reads DOCKER_HOST alone, not the provider's `docker:host`
 * nor its fallback sockets (engine-host.ts decides which engine, as @pulumi/docker does).
 */
import * as http from "node:http";
import type { EngineEndpoint } from "./engine-host";
import type { EngineContainer, EngineFacts, EngineNetwork } from "./engine-facts";

/** An engine that does not answer within this is treated as absent. */
export const ENGINE_TIMEOUT_MS = 10_000;

/** Why an engine could not be read: the address and the error (ENOENT, ECONNREFUSED, ...). */
export class EngineUnreachable extends Error {
  constructor(
    public readonly address: string,
    public readonly reason: string,
  ) {
    super(`${address}: ${reason}`);
  }
}

function get(endpoint: EngineEndpoint, path: string): Promise<string> {
  const target =
    "socketPath" in endpoint
      ? { socketPath: endpoint.socketPath }
      : { host: endpoint.host, port: endpoint.port };
  return new Promise((resolve, reject) => {
    // agent: false, one connection per request, closed after it: no idle keep-alive socket
    // outlives the pre-flight in the program's process.
    const request = http.get(
      { ...target, path, agent: false, timeout: ENGINE_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode === 200) resolve(body);
          else reject(new Error(`GET ${path} answered ${response.statusCode}: ${body.trim()}`));
        });
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`no answer within ${ENGINE_TIMEOUT_MS / 1000} s`)),
    );
    request.on("error", reject);
  });
}

/** An error as the no-engine message quotes it: its code (ENOENT, ECONNREFUSED) and message. */
function errorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

async function getJson<T>(endpoint: EngineEndpoint, path: string): Promise<T> {
  return JSON.parse(await get(endpoint, path)) as T;
}

/** Reads one engine; throws EngineUnreachable when /_ping does not answer OK. */
export async function readEngine(endpoint: EngineEndpoint): Promise<EngineFacts> {
  try {
    await get(endpoint, "/_ping");
  } catch (error) {
    throw new EngineUnreachable(endpoint.address, errorText(error));
  }
  const [networks, containers, info] = await Promise.all([
    getJson<EngineNetwork[]>(endpoint, "/networks"),
    getJson<EngineContainer[]>(endpoint, "/containers/json?all=1"),
    getJson<{ MemTotal?: number }>(endpoint, "/info"),
  ]);
  return {
    address: endpoint.address,
    networks,
    containers,
    ...(typeof info.MemTotal === "number" ? { memTotalBytes: info.MemTotal } : {}),
  };
}

/**
 * The first of `endpoints` that answers, as the provider takes the first of its candidates;
 * throws every address tried with its error when none does.
 */
export async function readFirstEngine(endpoints: readonly EngineEndpoint[]): Promise<EngineFacts> {
  const failures: EngineUnreachable[] = [];
  for (const endpoint of endpoints) {
    try {
      return await readEngine(endpoint);
    } catch (error) {
      if (!(error instanceof EngineUnreachable)) throw error;
      failures.push(error);
    }
  }
  throw new NoEngine(failures);
}

/** No candidate answered. */
export class NoEngine extends Error {
  constructor(public readonly failures: readonly EngineUnreachable[]) {
    super(failures.map((failure) => failure.message).join("; "));
  }
}
