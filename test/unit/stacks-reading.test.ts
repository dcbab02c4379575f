/**
 * How swarmlab reads a compose file, rule by rule, against what docker CLI 28 does with the same
 * text (the expected values were read off `docker stack config`; stacks-corpus.test.ts compares
 * whole files with it for real).
 */
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { overlayMtu, overlayTaskMtu } from "../../infra/config/settings";
import { parseLabConfig } from "../../infra/config/validate";
import * as fs from "fs";
import * as os from "os";
import { availableStacks } from "../../infra/stacks/catalog";
import { loadStack, StackDefinition } from "../../infra/stacks/compose";
import { parseComposeYaml, stringifyCompose } from "../../infra/stacks/compose-yaml";
import { interpolate, substituteString } from "../../infra/stacks/interpolate";
import { parseShortPort } from "../../infra/stacks/ports";
import { chosenStackPorts, publishedPorts } from "../../infra/stacks/published-ports";
import { builtImageName, renderStack } from "../../infra/stacks/render-compose";
import { builtImages, stackStep } from "../../infra/stacks/stack-steps";
import { stackProblems } from "../../infra/stacks/validate-stacks";

const CORPUS = path.join(__dirname, "fixtures", "stack-corpus");
const BAD = path.join(__dirname, "fixtures", "bad-stacks");
const VALUES = {
  registry: "10.42.0.10:5000",
  // What the program gives on a 1450 network (OpenStack VXLAN): the network's MTU.
  overlayMtu: overlayMtu(1450),
  contextTags: { ballot: "ctx-1", tally: "ctx-2", counter: "ctx-3" },
};

function loaded(name: string, dir = CORPUS): StackDefinition {
  const result = loadStack(name, dir);
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

function problemsOf(stacks: string[], overrides?: unknown): string[] {
  const result = parseLabConfig(
    {
      allowedCidrs: '["203.0.113.0/24"]',
      stacks: JSON.stringify(stacks),
      ...(overrides ? { stackOverrides: JSON.stringify(overrides) } : {}),
    },
    "alice",
    (choices) => stackProblems(choices, [CORPUS]),
  );
  return result.ok ? [] : result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

describe("short-syntax ports", () => {
  it("are split as docker splits them, one entry per port of a range", () => {
    expect(parseShortPort("8080:80")).toEqual([
      { target: 80, published: 8080, mode: "ingress", protocol: "tcp" },
    ]);
    expect(parseShortPort("127.0.0.1:53:53/udp")).toEqual([
      { target: 53, published: 53, mode: "ingress", protocol: "udp" },
    ]);
    expect(parseShortPort(9153)).toEqual([{ target: 9153, mode: "ingress", protocol: "tcp" }]);
    expect(parseShortPort("9000-9001:9000-9001").map((p) => [p.published, p.target])).toEqual([
      [9000, 9000],
      [9001, 9001],
    ]);
    expect(parseShortPort("7000-7001:80").map((p) => [p.published, p.target])).toEqual([
      [7000, 80],
      [7001, 80],
    ]);
    expect(() => parseShortPort("80:80:80:80")).toThrow(/invalid port/);
    expect(() => parseShortPort("8000:80-81")).toThrow(/differ in length/);
  });

  it("are published, opened in the firewall, and shown, like long ones", () => {
    const ports = publishedPorts(loaded("port-shapes"));
    expect(ports.map((p) => `${p.service} ${p.published}->${p.target}/${p.protocol}`)).toEqual([
      "dns 53->53/udp",
      "dns 53->53/tcp",
      "range 9000->9000/tcp",
      "range 9001->9001/tcp",
      "range 9002->9002/tcp",
      "range 8443->443/tcp",
      "range 7000->80/tcp",
      "range 7001->80/tcp",
    ]);
    expect(chosenStackPorts([{ name: "voting", services: {} }], [CORPUS])).toEqual([
      { port: 5000, protocol: "tcp" },
      { port: 5001, protocol: "tcp" },
    ]);
  });

  it("take part in the clash checks and can be overridden", () => {
    // The voting app's "5000:80" is the registry's port: refused, as the long syntax was.
    expect(problemsOf(["voting"])).toEqual([
      'swarmlab:stackOverrides: voting.ballot publishes port 5000, which the lab registry uses on the nodes; publish it elsewhere, e.g. {"voting": {"ballot": {"ports": {"80": 15000}}}}',
    ]);
    expect(
      problemsOf(["voting", "monitoring", "anchors"], {
        voting: { ballot: { ports: { "80": 15000 } } },
      }),
    ).toEqual([]);
    expect(
      problemsOf(["monitoring", "defaults"], { defaults: { web: { ports: { "80": 9090 } } } }),
    ).toEqual([
      'swarmlab:stackOverrides: monitoring.prom and defaults.web both publish port 9090; give one another port, e.g. {"defaults": {"web": {"ports": {"80": 9190}}}}',
    ]);
    // 53/udp and 53/tcp of one service are two ports, not a clash.
    expect(problemsOf(["port-shapes"])).toEqual([]);
    const text = renderStack(
      loaded("voting"),
      { ...VALUES, contextTags: { ballot: "ctx-1", tally: "ctx-2", counter: "ctx-3" } },
      {
        ballot: { ports: { "80": { published: 15000, mode: "host" } } },
      },
    ).compose;
    expect(text).toMatch(
      /ballot:[\s\S]*?- mode: host\n\s+target: 80\n\s+published: 15000\n\s+protocol: tcp\n/,
    );
  });
});

describe("variables", () => {
  const lookup = (name: string) => ({ SET: "x", EMPTY: "" })[name];

  it("take defaults as docker does: ':-' for unset or empty, '-' for unset, '$$' a dollar", () => {
    expect(substituteString("${UNSET:-d} ${EMPTY:-d} ${SET:-d}", lookup)).toBe("d d x");
    expect(substituteString("${UNSET-d} [${EMPTY-d}] ${SET-d}", lookup)).toBe("d [] x");
    expect(substituteString("$$HOME $${SET} $SET", lookup)).toBe("$HOME ${SET} x");
    expect(() => substituteString("${UNSET:?set it}", lookup)).toThrow(
      "required variable UNSET is missing a value: set it",
    );
    expect(() => substituteString("a $ b", lookup)).toThrow(/invalid interpolation/);
  });

  it("cast what they give where docker casts it (replicas, ports, modes)", () => {
    const problems: string[] = [];
    const out = interpolate(
      { services: { web: { deploy: { replicas: "${N:-3}" }, environment: { N: "${N:-3}" } } } },
      () => undefined,
      problems,
    );
    expect(out).toEqual({
      services: { web: { deploy: { replicas: 3 }, environment: { N: "3" } } },
    });
    expect(problems).toEqual([]);
  });

  it("with defaults are accepted; the text sent holds the values and every $ doubled", () => {
    const { compose } = renderStack(loaded("defaults"), VALUES);
    expect(compose).toContain("image: nginx:1.27\n");
    expect(compose).toMatch(/published: 8082\n/);
    expect(compose).toContain("PRICE: $$5\n");
    expect(compose).toContain("echo $$GREETING");
    expect(compose).toMatch(/replicas: 2\n/);
    expect(compose).not.toMatch(/\$\{/);
  });
});

describe("YAML as docker reads it", () => {
  it("applies merge keys and reads 1.1 octals, hex and underscores as yaml.v3 does", () => {
    const text =
      "x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\nmodes: [0400, 0o400, 0x100, 1_000, 09, yes, on, 1e3]\n";
    const { document, errors } = parseComposeYaml(text);
    expect(errors).toEqual([]);
    expect(document.toJS()).toEqual({
      x: { a: 1, b: 2 },
      y: { a: 1, b: 3 },
      modes: [256, 256, 256, 1000, 9, "yes", "on", 1000],
    });
  });

  it("writes strings docker would read as numbers quoted, and a mode as its number", () => {
    expect(stringifyCompose({ a: "0400", b: "1_000", c: "0x1f", d: "yes", mode: 256 })).toBe(
      'a: "0400"\nb: "1_000"\nc: "0x1f"\nd: yes\nmode: 256\n',
    );
    const { compose } = renderStack(loaded("file-secrets"), VALUES);
    expect(compose).toMatch(/source: api_key\n\s+mode: 256\n/);
  });
});

describe("the overlay MTU", () => {
  it("is the network's MTU: Docker's overlay driver takes VXLAN's 50 off it for the tasks", () => {
    // Measured on dockerd 20.10: option 1450 gives a task 1400, no option 1450 (settings.ts).
    expect(overlayMtu(1450)).toBe(1450);
    expect(overlayTaskMtu(1450)).toBe(1400);
    expect(overlayTaskMtu(9000)).toBe(8950);
  });

  it("is set on every overlay network without one, the implicit default included", () => {
    const text = (name: string) => renderStack(loaded(name), VALUES).compose;
    expect(text("defaults")).toContain(
      'networks:\n  default:\n    driver_opts:\n      com.docker.network.driver.mtu: "1450"\n',
    );
    expect(text("voting")).toMatch(
      /front:\n\s+driver_opts:\n\s+com.docker.network.driver.mtu: "1450"/,
    );
    // A network that sets its own MTU keeps it.
    expect(text("external-secret")).toContain('com.docker.network.driver.mtu: "1300"');
    expect(text("external-secret")).not.toContain('"1450"');
  });

  it("reaches the default network a service names, or gets by network_mode, and every kind of overlay", () => {
    const networks = (stack: StackDefinition) =>
      parseYaml(renderStack(stack, VALUES).compose).networks as Record<string, unknown>;
    expect(networks(loaded("network-shapes"))).toEqual({
      // Named by `worker` beside its own networks, undeclared (docker creates it all the same).
      default: { driver_opts: { "com.docker.network.driver.mtu": "1450" } },
      backend: { attachable: true, driver_opts: { "com.docker.network.driver.mtu": "1450" } },
      // Encrypted: the same option; the driver takes the ESP expansion off it too (1372 here).
      secure: { driver_opts: { encrypted: "", "com.docker.network.driver.mtu": "1450" } },
      // ${SWARMLAB_OVERLAY_MTU} as the built-in stacks write it: the same value.
      tuned: { driver: "overlay", driver_opts: { "com.docker.network.driver.mtu": "1450" } },
      public: { external: true, name: "lab-edge" },
    });
    // docker stack deploy ignores network_mode ("Ignoring unsupported options: network_mode")
    // and puts the service on the default network.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-stacks-"));
    try {
      fs.mkdirSync(path.join(dir, "host-mode"));
      fs.writeFileSync(
        path.join(dir, "host-mode", "compose.yaml"),
        'version: "3.8"\nservices:\n  agent:\n    image: busybox:1.36.1\n    network_mode: host\n',
      );
      expect(networks(loaded("host-mode", dir))).toEqual({
        default: { driver_opts: { "com.docker.network.driver.mtu": "1450" } },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("files beside the compose file", () => {
  it("travel with the stack on the secret stdin; the text names them by content", () => {
    const stack = loaded("file-secrets");
    const rendered = renderStack(stack, VALUES);
    expect(
      rendered.files
        .map((f) => f.path)
        .sort((x, y) => (path.basename(x) < path.basename(y) ? -1 : 1)),
    ).toEqual([
      expect.stringMatching(/^files\/[0-9a-f]{12}\/api_key.txt$/),
      expect.stringMatching(/^files\/[0-9a-f]{12}\/app.ini$/),
      expect.stringMatching(/^files\/[0-9a-f]{12}\/deploy_key$/),
    ]);
    expect(rendered.compose).toMatch(/name: file-secrets_api_key_[0-9a-f]{8}\n/);
    const step = stackStep(stack, rendered, 60);
    expect(step.secretStdin).toMatch(/^SWARMLAB_STACK_FILES=\(\n {2}'files\/[0-9a-f]{12}\//);
    // The secret's content is in no plain input.
    expect(step.create.stdin).not.toContain("k-0123456789abcdef");
    expect(step.secretStdin).toContain(Buffer.from("k-0123456789abcdef\n").toString("base64"));
  });

  it("give a changed secret a new name, so the swarm gets a new secret", () => {
    const stack = loaded("file-secrets");
    const before = renderStack(stack, VALUES).compose;
    const files = new Map(stack.files);
    files.set("./secrets/api_key.txt", Buffer.from("k-changed\n"));
    const after = renderStack({ ...stack, files }, VALUES).compose;
    const name = (text: string) => /name: (file-secrets_api_key_[0-9a-f]{8})/.exec(text)?.[1];
    expect(name(after)).not.toBe(name(before));
    expect(name(after)).toBeDefined();
  });

  it("must exist, and relative bind mounts are refused with the reason", () => {
    const problems = (name: string) => {
      const result = loadStack(name, BAD);
      return result.ok ? [] : result.problems;
    };
    expect(problems("missing-file")).toEqual([
      "secrets.token.file: ./token.txt not found beside the compose file (docker stack deploy reads it from missing-file/./token.txt); add the file or fix the path",
      "services.web.env_file[0]: web.env not found beside the compose file (docker stack deploy reads it from missing-file/web.env); add the file or fix the path",
    ]);
    expect(problems("relative-bind")).toEqual([
      "services.web.volumes: ./html is a bind mount of a folder beside the compose file, which exists on no node of a swarm (a task runs on any of them); put the files in a config or secret, or use a named volume",
      "services.web.volumes: ../shared is a bind mount of a folder beside the compose file, which exists on no node of a swarm (a task runs on any of them); put the files in a config or secret, or use a named volume",
    ]);
  });
});

describe("built images", () => {
  it("are named by swarmlab: the file's repository, or <stack>-<service>, in the registry", () => {
    const values = { registry: "r:5000", tag: "ctx-1" };
    expect(builtImageName("voting", "ballot", "course/ballot:2.1", values)).toBe(
      "r:5000/course/ballot:ctx-1",
    );
    expect(builtImageName("voting", "counter", undefined, values)).toBe(
      "r:5000/voting-counter:ctx-1",
    );
    expect(
      builtImageName(
        "builds",
        "docs",
        "${SWARMLAB_REGISTRY}/builds-docs:${SWARMLAB_CONTEXT_TAG}",
        values,
      ),
    ).toBe("r:5000/builds-docs:ctx-1");
  });

  it("keep the build's target, args and Dockerfile", () => {
    const api = loaded("builds").services.find((s) => s.name === "api");
    expect(api?.build).toEqual({
      context: "./api",
      dockerfile: "Dockerfile.prod",
      target: "runtime",
      args: { APP_VERSION: "1.4.0", BASE: "alpine:3.20" },
    });
  });

  it("send what .dockerignore leaves (by docker's rules), a linked file's content, and refuse a linked folder", () => {
    const web = builtImages(loaded("builds")).find((image) => image.service === "web");
    expect(web?.files.map((f) => f.path)).toEqual([
      ".dockerignore",
      "Dockerfile",
      "api.Dockerfile",
      "index.html",
      "notes/keep.md",
    ]);
    const linked = web?.files.find((f) => f.path === "api.Dockerfile");
    expect(linked?.content.toString()).toMatch(/^ARG BASE=alpine/);
    const result = loadStack("symlink-dir", BAD);
    expect(result.ok ? [] : result.problems).toEqual([
      "services.web.build: linked in the build context is a symlink to a folder; copy what it points to into the context, or list it in .dockerignore",
    ]);
  });
});

describe("the folder of stacks", () => {
  it("counts a linked folder as a stack, and a dangling link as none", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-stacks-"));
    try {
      fs.symlinkSync(path.join(CORPUS, "anchors"), path.join(dir, "linked"));
      fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "dangling"));
      expect(availableStacks(dir)).toEqual(["linked"]);
      expect(loadStack("linked", dir).ok).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
