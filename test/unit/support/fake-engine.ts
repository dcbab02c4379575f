/**
 * A fake Docker engine for the program tests of the local cloud: a real HTTP server on a unix
 * socket in a temp dir, handed to the program through DOCKER_HOST=unix://<socket>, exactly as a
 * user points @pulumi/docker (and so the program's pre-flight, infra/local/engine-host.ts) at an
 * engine. It stands for dockerd's API on /var/run/docker.sock and answers the endpoints the
 * pre-flight reads, in the Docker Engine API's documented shapes
 * (https://docs.docker.com/reference/api/engine/version/v1.41/: GET /_ping answers "OK" as
 * text/plain; GET /networks a list of Network, GET /containers/json a list of ContainerSummary,
 * GET /info SystemInfo); anything else answers 404 {"message": ...} as dockerd does for an
 * unknown path. By default the engine holds nothing: no networks, no containers, and as much
 * memory as this machine (a Linux dockerd reports the host's MemTotal).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineContainer, EngineNetwork } from "../../../infra/local/engine-facts";

export interface FakeEngineState {
  networks: EngineNetwork[];
  containers: EngineContainer[];
  info: { MemTotal: number; [key: string]: unknown };
}

export interface FakeEngine {
  /** unix://<socket>: what DOCKER_HOST is set to. */
  host: string;
  state: FakeEngineState;
  /** Every request path, in order. */
  requests: string[];
  /** Back to an empty engine (between tests). */
  reset(): void;
  close(): Promise<void>;
}

function emptyState(): FakeEngineState {
  return {
    networks: [],
    containers: [],
    info: { MemTotal: os.totalmem(), NCPU: os.cpus().length },
  };
}

export async function startFakeEngine(): Promise<FakeEngine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-fake-engine-"));
  const socket = path.join(dir, "docker.sock");
  const engine: FakeEngine = {
    host: `unix://${socket}`,
    state: emptyState(),
    requests: [],
    reset() {
      engine.state = emptyState();
      engine.requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://engine");
    engine.requests.push(`${url.pathname}${url.search}`);
    const json = (body: unknown) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method !== "GET") {
      response.writeHead(405).end();
    } else if (url.pathname === "/_ping") {
      response.writeHead(200, { "Content-Type": "text/plain" }).end("OK");
    } else if (url.pathname === "/networks") {
      json(engine.state.networks);
    } else if (url.pathname === "/containers/json") {
      // Without all=1 dockerd lists running containers only; the pre-flight asks for all.
      json(
        url.searchParams.get("all") === "1"
          ? engine.state.containers
          : engine.state.containers.filter((container) => container.State === "running"),
      );
    } else if (url.pathname === "/info") {
      json(engine.state.info);
    } else {
      response.writeHead(404, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ message: "page not found" }));
    }
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return engine;
}

/**
 * Starts a fake engine for the test file and points DOCKER_HOST at it, restoring the
 * variable afterwards. Call it at the top of a test file: its beforeAll then runs before those of
 * every describe, which run the program.
 */
export function useFakeEngine(): { current(): FakeEngine } {
  let engine: FakeEngine | undefined;
  let before: string | undefined;
  beforeAll(async () => {
    engine = await startFakeEngine();
    before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = engine.host;
  });
  afterAll(async () => {
    if (before === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = before;
    await engine?.close();
  });
  return {
    current() {
      if (engine === undefined) throw new Error("the fake engine starts in beforeAll");
      return engine;
    },
  };
}
