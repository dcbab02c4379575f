/**
 * The built-in stacks hand out no root (issue 24): the Docker socket only in the socket proxies
 * built from stacks/ (HAProxy with our own config), no host `/`, `/var/run` or whole
 * `/var/lib/docker`, host paths read-only; admin UIs not published to allowedCidrs unless the
 * teacher opts in; images on exact version tags. The compose files are read by the program's own
 * loader (docker's YAML rules); that the proxies refuse what they must is the system test's part
 * (test/system/harness/stack-security-tests.ts), against a real dockerd.
 */
import * as fs from "fs";
import * as path from "path";
import type { StackChoice } from "../../infra/config/stacks-config";
import { availableStacks, stackFolders } from "../../infra/stacks/catalog";
import { loadStack, StackDefinition } from "../../infra/stacks/compose";
import { publishedPorts } from "../../infra/stacks/published-ports";
import { stackProblems } from "../../infra/stacks/validate-stacks";
import { names, runProgram, swarmStdout } from "./support/program";

function stack(name: string): StackDefinition {
  const result = loadStack(name);
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A service's `volumes:` in both syntaxes, as docker reads them (short: SRC:DST[:OPTS]). */
function mountsOf(value: unknown): Mount[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry: unknown) => {
    if (typeof entry === "string") {
      const [source, target, options = ""] = entry.split(":");
      return { source, target, readOnly: options.split(",").includes("ro") };
    }
    const long = entry as { source: string; target: string; read_only?: boolean };
    return { source: long.source, target: long.target, readOnly: long.read_only === true };
  });
}

type ServiceDocument = { image?: string; build?: unknown; volumes?: unknown };

function services(name: string): [string, ServiceDocument][] {
  return Object.entries(stack(name).document.services as Record<string, ServiceDocument>);
}

const SOCKET = "/var/run/docker.sock";

describe("the built-in stacks hand out no root", () => {
  it.each(availableStacks())(
    "%s: the Docker socket only in a proxy built from the stack's own folder",
    (name) => {
      for (const [service, definition] of services(name)) {
        const sockets = mountsOf(definition.volumes).filter((m) => m.source === SOCKET);
        if (sockets.length === 0) continue;
        const build = stack(name).services.find((s) => s.name === service)?.build;
        expect({ service, builtHere: build !== undefined }).toEqual({ service, builtHere: true });
        const config = path.join(stack(name).dir, build?.context ?? "", "haproxy.cfg");
        // Only GET/HEAD of listed paths, everything else 403.
        expect(fs.readFileSync(config, "utf8")).toMatch(
          /http-request deny deny_status 403 unless read_method allowed_path/,
        );
      }
    },
  );

  it.each(availableStacks())(
    "%s: no host /, /var/run or whole /var/lib/docker; other host paths read-only",
    (name) => {
      for (const [service, definition] of services(name)) {
        for (const mount of mountsOf(definition.volumes).filter((m) => m.source.startsWith("/"))) {
          const where = { service, source: mount.source };
          expect({
            ...where,
            dangerous: ["/", "/var/run", "/run", "/var/lib/docker"].includes(
              mount.source.replace(/\/+$/, "") || "/",
            ),
          }).toEqual({ ...where, dangerous: false });
          if (mount.source !== SOCKET) {
            expect({ ...where, readOnly: mount.readOnly }).toEqual({ ...where, readOnly: true });
          }
        }
      }
    },
  );

  it("the visualizer has no socket of its own; it reaches the proxy over an internal network", () => {
    const document = stack("visualizer").document as {
      services: Record<string, { volumes?: unknown; networks: string[]; environment: object }>;
      networks: Record<string, { internal?: boolean }>;
    };
    expect(mountsOf(document.services.visualizer.volumes)).toEqual([]);
    expect(document.services.visualizer.environment).toEqual({ DOCKER_HOST: "docker-api:2375" });
    expect(document.services["docker-api"].networks).toEqual(["docker-api"]);
    expect(document.networks["docker-api"].internal).toBe(true);
  });
});

describe("admin UIs", () => {
  const ADMIN = { visualizer: "visualizer", monitoring: "cadvisor", mediawiki: "wiki" } as const;

  it.each(Object.entries(ADMIN))(
    "%s publishes nothing to allowedCidrs by default (the swarm picks a port the firewall keeps closed)",
    (name) => {
      expect(publishedPorts(stack(name))).toEqual([]);
    },
  );

  it("a teacher opts in with swarmlab:stackOverrides, and the checks accept it", () => {
    const choices: StackChoice[] = [
      { name: "visualizer", services: { visualizer: { ports: { "8080": { published: 8082 } } } } },
      {
        name: "monitoring",
        services: { cadvisor: { ports: { "8080": { published: 8083, mode: "host" } } } },
      },
      { name: "mediawiki", services: { wiki: { ports: { "80": { published: 8084 } } } } },
    ];
    // mediawiki names its database password as an external secret: declared as Pulumi.yaml's
    // default swarmlab:stackExternals declares it.
    const externals = {
      secrets: { mediawiki_db_password: { source: "generate" as const } },
      networks: {},
      nodeLabels: {},
    };
    expect(stackProblems(choices, stackFolders(), externals)).toEqual([]);
    expect(
      choices.flatMap((c) =>
        publishedPorts(stack(c.name), c.services).map(
          (p) => `${p.service}:${p.published}/${p.mode}`,
        ),
      ),
    ).toEqual(["visualizer:8082/ingress", "cadvisor:8083/host", "wiki:8084/ingress"]);
  });

  it("the security group opens an admin UI's port only when the teacher publishes it", async () => {
    const opened = async (stackOverrides?: object) => {
      const run = await runProgram(
        {
          allowedCidrs: '["203.0.113.0/24"]',
          stacks: '["visualizer","monitoring","mediawiki"]',
          ...(stackOverrides ? { stackOverrides: JSON.stringify(stackOverrides) } : {}),
        },
        "alice",
        swarmStdout(names("alice", 1, 2)),
      );
      if (run.error !== undefined) throw run.error;
      return run
        .ofType("openstack:networking/secGroupRule:SecGroupRule")
        .filter((r) => /published/.test(r.name))
        .map((r) => r.inputs.portRangeMin);
    };
    expect(await opened()).toEqual([]);
    expect(await opened({ visualizer: { visualizer: { ports: { "8080": 8082 } } } })).toEqual([
      8082,
    ]);
  });
});

/** Every image a stack runs or builds FROM: compose `image:` (no build) and Dockerfile FROMs. */
function imagesOf(name: string): string[] {
  return stack(name).services.flatMap((service) => {
    const definition = (stack(name).document.services as Record<string, ServiceDocument>)[
      service.name
    ];
    if (!service.build) return definition.image ? [definition.image] : [];
    const dockerfile = path.join(stack(name).dir, service.build.context, service.build.dockerfile);
    return [...fs.readFileSync(dockerfile, "utf8").matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]);
  });
}

/**
 * The one image without a version tag upstream: dockersamples/visualizer publishes `latest`
 * and `stable` only. Its socket access is the read-only proxy, so a moved tag can read the
 * swarm's lists at most (stacks/README.md, "Images").
 */
const NO_VERSION_UPSTREAM = ["dockersamples/visualizer:stable"];

describe("images", () => {
  it.each(availableStacks())("%s: every image on an exact version tag (x.y.z)", (name) => {
    for (const image of imagesOf(name).filter((i) => !NO_VERSION_UPSTREAM.includes(i))) {
      const tag = image.slice(image.lastIndexOf(":") + 1);
      expect({ image, exact: /^v?\d+\.\d+\.\d+(-[a-z0-9.]+)?$/.test(tag) }).toEqual({
        image,
        exact: true,
      });
    }
  });
});
