import * as path from "path";
import { overlayMtu } from "../../infra/config/settings";
import { parseLabConfig } from "../../infra/config/validate";
import { engineConfig } from "../../scripts/lib/engine-config";
import { availableStacks } from "../../infra/stacks/catalog";
import { loadStack, StackDefinition } from "../../infra/stacks/compose";
import { renderCompose } from "../../infra/stacks/render-compose";
import { contextTag } from "../../infra/stacks/image-tag";
import {
  parseStackServices,
  registryCredentials,
  stackImageScript,
  stackScript,
} from "../../infra/stacks/stack-scripts";
import { stackProblems } from "../../infra/stacks/validate-stacks";
import type { RemoteScript } from "../../infra/swarm/remote-scripts";
import {
  MOCK_NETWORK_MTU,
  MOCK_REGISTRY_PASSWORD,
  names,
  plaintextPaths,
  recordedState,
  runProgram,
  secretValue,
  swarmStdout,
  valueOf,
} from "./support/program";
import { contextDir, readContextFiles } from "../../infra/stacks/catalog";

const BAD_STACKS = path.join(__dirname, "fixtures", "bad-stacks");
/** The same folder as swarmlab:stacksDir names it: relative to the project root. */
const BAD_STACKS_CONFIG = "test/unit/fixtures/bad-stacks";
const ALLOWED = '["203.0.113.0/24"]';

function problemsOf(stacks: string[], overrides?: unknown, dir?: string): string[] {
  // Over Pulumi.yaml's defaults, as the engine hands them over (stackExternals' among them).
  const raw = engineConfig("alice", {
    allowedCidrs: ALLOWED,
    stacks: JSON.stringify(stacks),
    ...(overrides ? { stackOverrides: JSON.stringify(overrides) } : {}),
  });
  const result = parseLabConfig(raw, "alice", (choices, context) =>
    stackProblems(choices, dir === undefined ? undefined : [dir], context.externals),
  );
  return result.ok ? [] : result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

function stack(name: string): StackDefinition {
  const result = loadStack(name);
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

describe("the stacks of stacks/", () => {
  it("are the course's stacks, and every compose file passes the checks", () => {
    expect(availableStacks()).toEqual([
      "counter",
      "hostname",
      "mediawiki",
      "monitoring",
      "proxy",
      "visualizer",
    ]);
    expect(problemsOf(availableStacks())).toEqual([]);
  });

  it("give every overlay network the overlay MTU and every service a rollback policy", () => {
    for (const name of availableStacks()) {
      const text = renderCompose(stack(name), {
        registry: "10.42.0.10:5000",
        // On a 1450 network: the option is 1450, and the driver gives the tasks 1400.
        overlayMtu: overlayMtu(1450),
        contextTags: { web: "ctx-1", haproxy: "ctx-2", "docker-api": "ctx-3" },
      });
      expect({ name, mtu: text.includes('com.docker.network.driver.mtu: "1450"') }).toEqual({
        name,
        mtu: true,
      });
      for (const service of stack(name).services) {
        const deploy = (stack(name).document.services as Record<string, { deploy: unknown }>)[
          service.name
        ].deploy as Record<string, Record<string, unknown>>;
        expect({
          name,
          service: service.name,
          rollback: deploy.update_config.failure_action,
        }).toEqual({ name, service: service.name, rollback: "rollback" });
        expect(deploy.restart_policy.condition).toBe("on-failure");
      }
    }
  });
});

describe("swarmlab:stacks", () => {
  it("defaults to hostname", () => {
    const result = parseLabConfig({ allowedCidrs: ALLOWED }, "alice", (c) => stackProblems(c));
    expect(result.ok && result.config.stacks).toEqual([{ name: "hostname", services: {} }]);
  });

  it("refuses a stack that is not a folder of stacks/, listing the valid names", () => {
    expect(problemsOf(["hostname", "wordpress"])).toEqual([
      'swarmlab:stacks: names "wordpress", which is not a stack of stacks/: choose from counter, hostname, mediawiki, monitoring, proxy, visualizer',
    ]);
  });

  it("refuses names twice, bad names and overrides of services or ports a stack does not have", () => {
    expect(problemsOf(["hostname", "hostname"])).toEqual([
      'swarmlab:stacks: names "hostname" twice',
    ]);
    expect(problemsOf(["Hostname"])[0]).toMatch(/\[0\] is "Hostname": a stack name is a folder/);
    expect(
      problemsOf(["counter", "monitoring"], {
        counter: { db: { replicas: 2 }, web: { ports: { "80": 8000 }, replicas: -1 } },
        monitoring: { cadvisor: { replicas: 2 } },
        proxy: { web: { replicas: 2 } },
      }),
    ).toEqual([
      "swarmlab:stackOverrides: counter.web.replicas is -1: set a whole number from 0 to 100",
      'swarmlab:stackOverrides: names stack "proxy", which is not in swarmlab:stacks (counter, monitoring); add it there or remove its overrides',
    ]);
    expect(
      problemsOf(["counter", "monitoring"], {
        counter: { db: { replicas: 2 }, web: { ports: { "80": 8000 } } },
        monitoring: { cadvisor: { replicas: 2 } },
      }),
    ).toEqual([
      'swarmlab:stackOverrides: counter.db: stacks/counter/compose.yaml has no service "db" (it has web, redis)',
      "swarmlab:stackOverrides: counter.web.ports.80: web publishes no container port 80 in stacks/counter/compose.yaml (its ports: 5000)",
      "swarmlab:stackOverrides: monitoring.cadvisor.replicas: cadvisor runs in global mode (one task per node); remove the override",
    ]);
  });

  it("refuses two stacks publishing one port, saying how to move one", () => {
    expect(
      problemsOf(["hostname", "proxy"], { proxy: { haproxy: { ports: { "8080": 8080 } } } }),
    ).toEqual([
      'swarmlab:stackOverrides: hostname.web and proxy.haproxy both publish port 8080; give one another port, e.g. {"proxy": {"haproxy": {"ports": {"8080": 8180}}}}',
    ]);
  });

  it("refuses a published port the cluster itself uses (registry, Docker API, SSH, swarm)", () => {
    expect(
      problemsOf(["hostname", "counter"], {
        hostname: { web: { ports: { "8080": 5000 } } },
        counter: { web: { ports: { "5000": 2376 } } },
      }),
    ).toEqual([
      'swarmlab:stackOverrides: hostname.web publishes port 5000, which the lab registry uses on the nodes; publish it elsewhere, e.g. {"hostname": {"web": {"ports": {"8080": 15000}}}}',
      'swarmlab:stackOverrides: counter.web publishes port 2376, which the Docker API uses on the nodes; publish it elsewhere, e.g. {"counter": {"web": {"ports": {"5000": 12376}}}}',
    ]);
  });

  it("refuses each kind of bad compose file, naming the file and the problem", () => {
    expect(
      problemsOf(
        ["yaml-error", "unknown-key", "no-image", "missing-dockerfile", "unknown-variable"],
        undefined,
        BAD_STACKS,
      ),
    ).toEqual([
      expect.stringMatching(
        /^swarmlab:stacks: yaml-error: bad-stacks\/yaml-error\/compose.yaml is not valid YAML: .*line 4/,
      ),
      'swarmlab:stacks: unknown-key: bad-stacks/unknown-key/compose.yaml the top level: unknown key "servces" (docker stack deploy refuses it)',
      "swarmlab:stacks: no-image: bad-stacks/no-image/compose.yaml services.web has neither image nor build: name an image, or a build context with a Dockerfile",
      'swarmlab:stacks: missing-dockerfile: bad-stacks/missing-dockerfile/compose.yaml services.web.build: Dockerfile not found in context "./web" (bad-stacks/missing-dockerfile/web)',
      "swarmlab:stacks: unknown-variable: bad-stacks/unknown-variable/compose.yaml uses ${BUSYBOX_VERSION}, which nothing sets on the cluster; give it a default (${BUSYBOX_VERSION:-value}) or use one of swarmlab's ${SWARMLAB_REGISTRY}, ${SWARMLAB_CONTEXT_TAG}, ${SWARMLAB_OVERLAY_MTU}",
    ]);
  });
});

describe("stacks as teachers write them (fixtures/stack-corpus)", () => {
  const CORPUS = path.join(__dirname, "fixtures", "stack-corpus");

  it("short-syntax ports are published, checked against the cluster's ports and overridable", () => {
    expect(
      problemsOf(["port-shapes"], { "port-shapes": { range: { ports: { "443": 2377 } } } }, CORPUS),
    ).toEqual([
      'swarmlab:stackOverrides: port-shapes.range publishes port 2377, which swarm management uses on the nodes; publish it elsewhere, e.g. {"port-shapes": {"range": {"ports": {"443": 12377}}}}',
    ]);
  });

  it("merge keys and 1.1 octals are read as docker reads them", () => {
    const anchors = loadStack("anchors", CORPUS);
    expect(anchors.ok && anchors.stack.services.map((s) => s.name)).toEqual(["api", "cache"]);
    const secrets = loadStack("file-secrets", CORPUS);
    const app =
      secrets.ok &&
      (secrets.stack.document.services as Record<string, { secrets: { mode: number }[] }>).app;
    expect(app && app.secrets.map((s) => s.mode)).toEqual([0o400, 0o600]);
  });
});

describe("a bad compose file at preview", () => {
  it.each(["yaml-error", "unknown-key", "no-image", "missing-dockerfile", "unknown-variable"])(
    "%s: the program fails naming the file and creates nothing",
    async (name) => {
      const run = await runProgram(
        { allowedCidrs: ALLOWED, stacks: JSON.stringify([name]), stacksDir: BAD_STACKS_CONFIG },
        "alice",
        {},
      );
      expect(run.resources.filter((r) => !r.type.startsWith("pulumi:"))).toEqual([]);
      expect(String(run.error)).toMatch(/nothing was created/);
      expect(String(run.error)).toContain(`bad-stacks/${name}/compose.yaml`);
    },
  );
});

describe("image tags", () => {
  const files = [
    { path: "Dockerfile", content: Buffer.from("FROM python:3.12-slim\n") },
    { path: "app.py", content: Buffer.from("print('hi')\n") },
  ];

  it("are the same for the same context, in any order", () => {
    expect(contextTag(files)).toMatch(/^ctx-[0-9a-f]{16}$/);
    expect(contextTag([...files].reverse())).toBe(contextTag(files));
    expect(contextTag(files.map((f) => ({ ...f, content: Buffer.from(f.content) })))).toBe(
      contextTag(files),
    );
  });

  it("change with any change of the context: content, name, an added file", () => {
    const tag = contextTag(files);
    const changed = [
      [files[0], { path: "app.py", content: Buffer.from("print('hello')\n") }],
      [files[0], { path: "main.py", content: files[1].content }],
      [...files, { path: "requirements.txt", content: Buffer.from("flask\n") }],
      // Bytes moved between name and content must not collide.
      [files[0], { path: "app.p", content: Buffer.from(`y${files[1].content.toString()}`) }],
    ];
    for (const context of changed) expect(contextTag(context)).not.toBe(tag);
  });

  it("of the counter's web folder are what its compose text names", () => {
    const text = renderCompose(stack("counter"), {
      registry: "10.42.0.10:5000",
      overlayMtu: 1400,
      contextTags: { web: "ctx-0123456789abcdef" },
    });
    expect(text).toContain("image: 10.42.0.10:5000/counter-web:ctx-0123456789abcdef");
    expect(text).not.toContain("build:");
    expect(text).not.toContain("SWARMLAB_");
  });
});

describe("renderCompose", () => {
  it("applies replicas and port overrides and is deterministic", () => {
    const values = { registry: "r:5000", overlayMtu: 1400, contextTags: { web: "ctx-1" } };
    const overrides = {
      web: { replicas: 5, ports: { "5000": { published: 18000, mode: "host" as const } } },
    };
    const text = renderCompose(stack("counter"), values, overrides);
    expect(text).toBe(renderCompose(stack("counter"), values, overrides));
    expect(text).toMatch(/replicas: 5\n/);
    expect(text).toMatch(/- mode: host\n\s+target: 5000\n\s+published: 18000\n/);
  });
});

describe("stack scripts", () => {
  it("carry the compose text readably on stdin; the command says deploy or remove", () => {
    const compose = "services:\n  web:\n    image: busybox:1.36\n";
    const deploy = stackScript("deploy", "hostname", compose, 600);
    const remove = stackScript("remove", "hostname", compose, 600);
    expect(deploy.command).toBe("bash -s -- deploy hostname 600");
    expect(remove.command).toBe("bash -s -- remove hostname 600");
    expect(remove.stdin).toBe(deploy.stdin);
    expect(
      deploy.stdin.startsWith(`SWARMLAB_COMPOSE=$(cat <<'SWARMLAB_COMPOSE_END'\n${compose}`),
    ).toBe(true);
    expect(() => stackScript("deploy", "Bad Name", compose, 600)).toThrow(/stack name/);
  });

  it("carry the registry's credentials apart from the script, the password quoted", () => {
    const credentials = registryCredentials({
      address: "10.42.0.10:5000",
      user: "swarmlab",
      password: "s3cr'et",
    });
    expect(credentials).toBe(
      "SWARMLAB_REGISTRY_ADDRESS=10.42.0.10:5000\nSWARMLAB_REGISTRY_USER=swarmlab\n" +
        "SWARMLAB_REGISTRY_PASSWORD='s3cr'\\''et'\n",
    );
    expect(() =>
      registryCredentials({ address: "10.42.0.10:5000", user: "swarmlab", password: "a\nb" }),
    ).toThrow(/one line/);
    // Both scripts bring the login function; neither holds a credential.
    const image = stackImageScript("r:5000/a:ctx-1", { dockerfile: "Dockerfile", args: {} }, [], 1);
    const deploy = stackScript("deploy", "counter", "services: {}\n", 1);
    for (const script of [image, deploy]) {
      expect(script.stdin).toContain("registry_login() {");
      expect(script.stdin).not.toMatch(/SWARMLAB_REGISTRY_PASSWORD=/);
    }
  });

  it("send a build context as path:base64 entries and refuse escaping paths", () => {
    const files = [{ path: "web/app.py", content: Buffer.from("x") }];
    const image = stackImageScript(
      "r:5000/counter-web:ctx-1",
      { dockerfile: "Dockerfile", args: {} },
      files,
      300,
    );
    expect(image.stdin).toContain("  'web/app.py:eA=='");
    expect(() =>
      stackImageScript(
        "r:5000/a:ctx-1",
        { dockerfile: "Dockerfile", args: {} },
        [{ path: "../x", content: Buffer.from("") }],
        1,
      ),
    ).toThrow(/not a plain relative path/);
  });

  it("parse the services a deploy reports", () => {
    expect(
      parseStackServices('log\n[{"service":"hostname_web","running":3,"wanted":3}]\n'),
    ).toEqual([{ service: "hostname_web", running: 3, wanted: 3 }]);
    expect(() => parseStackServices("oops")).toThrow(/did not print a JSON array/);
  });
});

const SWARM_STDOUT = swarmStdout(names("alice", 1, 2));

function scriptOf(input: unknown): RemoteScript {
  return input as RemoteScript;
}

describe("the program's stacks", () => {
  it("builds and pushes after the registry, and deploys after the images", async () => {
    const run = await runProgram(
      { allowedCidrs: ALLOWED, stacks: '["hostname","counter","proxy"]' },
      "alice",
      SWARM_STDOUT,
    );
    if (run.error !== undefined) throw run.error;
    for (const [stack, service] of [
      ["counter", "web"],
      ["proxy", "haproxy"],
    ]) {
      const image = run.byName(`alice-stacks-${stack}-${service}-image`);
      expect(image.dependsOn).toEqual(
        expect.arrayContaining(["alice-ready-check", "alice-registry-deploy"]),
      );
      const tag = contextTag(readContextFiles(contextDir(stack, service)));
      expect(scriptOf(image.inputs.create).command).toBe(
        `bash -s -- 10.42.0.10:5000/${stack}-${service}:${tag} Dockerfile 900`,
      );
      const deploy = run.byName(`alice-stacks-${stack}`);
      expect(deploy.dependsOn).toEqual(
        expect.arrayContaining([
          `alice-stacks-${stack}-${service}-image`,
          "alice-registry-deploy",
          "alice-ready-check",
        ]),
      );
      expect(scriptOf(deploy.inputs.create).stdin).toContain(
        `image: 10.42.0.10:5000/${stack}-${service}:${tag}`,
      );
    }
  });

  it("logs each step that needs the registry in with a secret stdin; the compose text stays plain", async () => {
    const run = await runProgram(
      { allowedCidrs: ALLOWED, stacks: '["hostname","counter"]' },
      "alice",
      SWARM_STDOUT,
    );
    if (run.error !== undefined) throw run.error;
    for (const name of ["alice-stacks-counter-web-image", "alice-stacks-counter"]) {
      const step = run.byName(name);
      expect(secretValue(step.inputs.secretStdin)).toBe(
        "SWARMLAB_REGISTRY_ADDRESS=10.42.0.10:5000\nSWARMLAB_REGISTRY_USER=swarmlab\n" +
          `SWARMLAB_REGISTRY_PASSWORD=${MOCK_REGISTRY_PASSWORD}\n`,
      );
    }
    // What `pulumi preview --diff` shows of a stack: its compose text, in plain.
    expect(scriptOf(run.byName("alice-stacks-counter").inputs.create).stdin).toContain(
      "REDIS_HOST: redis",
    );
    // hostname pulls nothing from the registry: no credentials at all.
    expect(run.byName("alice-stacks-hostname").inputs.secretStdin).toBeUndefined();
    for (const resource of run.resources.filter((r) => /-stacks-/.test(r.name))) {
      const leaks = plaintextPaths(recordedState(resource), new RegExp(MOCK_REGISTRY_PASSWORD));
      expect({ name: resource.name, leaks }).toEqual({ name: resource.name, leaks: [] });
    }
  });

  it("opens the chosen stacks' published ports to allowedCidrs only", async () => {
    const run = await runProgram(
      { allowedCidrs: ALLOWED, stacks: '["hostname","counter"]' },
      "alice",
      SWARM_STDOUT,
    );
    if (run.error !== undefined) throw run.error;
    const published = run
      .ofType("openstack:networking/secGroupRule:SecGroupRule")
      .filter((r) => /published/.test(r.name))
      .map((r) => ({ port: r.inputs.portRangeMin, from: r.inputs.remoteIpPrefix }));
    expect(published).toEqual([
      { port: 8000, from: "203.0.113.0/24" },
      { port: 8080, from: "203.0.113.0/24" },
    ]);
  });

  it("deploys hostname by default after the ready gate, removing it on delete", async () => {
    const run = await runProgram({ allowedCidrs: ALLOWED }, "alice", {
      ...SWARM_STDOUT,
      "-stacks-hostname": () => '[{"service":"hostname_web","running":3,"wanted":3}]\n',
    });
    if (run.error !== undefined) throw run.error;
    const hostname = run.byName("alice-stacks-hostname");
    expect(hostname.dependsOn).toContain("alice-ready-check");
    expect(scriptOf(hostname.inputs.create).command).toBe("bash -s -- deploy hostname 900");
    expect(scriptOf(hostname.inputs.delete).command).toBe("bash -s -- remove hostname 900");
    // The mock network's MTU (1450, mock-cloud.ts) itself: the overlay driver takes VXLAN's 50 off.
    expect(scriptOf(hostname.inputs.create).stdin).toContain(
      `com.docker.network.driver.mtu: "${MOCK_NETWORK_MTU}"`,
    );
    // No image step: hostname builds nothing.
    expect(run.resources.filter((r) => /-stacks-/.test(r.name)).map((r) => r.name)).toEqual([
      "alice-stacks-hostname",
    ]);
    expect(await valueOf(run.exports.stacks)).toEqual({
      hostname: {
        services: [{ service: "hostname_web", running: 3, wanted: 3 }],
        urls: { "web:8080": "http://203.0.113.10:8080" },
      },
    });
  });

  it("sends a stack's files on the secret stdin, and opens its short-syntax ports", async () => {
    {
      const run = await runProgram(
        {
          allowedCidrs: ALLOWED,
          stacks: '["file-secrets","port-shapes"]',
          stacksDir: "test/unit/fixtures/stack-corpus",
        },
        "alice",
        SWARM_STDOUT,
      );
      if (run.error !== undefined) throw run.error;
      const step = run.byName("alice-stacks-file-secrets");
      const secret = secretValue(step.inputs.secretStdin) as string;
      // No registry credentials (the stack pulls nothing from it); the files, base64.
      expect(secret).toMatch(/^SWARMLAB_STACK_FILES=\(\n/);
      expect(secret).toContain(Buffer.from("k-0123456789abcdef\n").toString("base64"));
      const plain = scriptOf(step.inputs.create).stdin;
      expect(plain).toMatch(/name: file-secrets_api_key_[0-9a-f]{8}\n/);
      expect(plain).not.toContain("k-0123456789abcdef");
      const leaks = plaintextPaths(recordedState(step), /k-0123456789abcdef/);
      expect(leaks).toEqual([]);
      const published = run
        .ofType("openstack:networking/secGroupRule:SecGroupRule")
        .filter((r) => /published/.test(r.name))
        .map((r) => `${r.inputs.portRangeMin}/${r.inputs.protocol}`);
      // 53 is published for TCP and UDP ("53:53/udp", "53:53/tcp"): a rule for each.
      expect(published).toEqual([
        "53/tcp",
        "53/udp",
        "7000/tcp",
        "7001/tcp",
        "8443/tcp",
        "9000/tcp",
        "9001/tcp",
        "9002/tcp",
      ]);
    }
  });

  it("creates the externals a stack names before it, each a step; secret values only on the secret stdin", async () => {
    const externals = {
      secrets: { db_root: { value: "root-pw-from-config" } },
      networks: { unused_net: {} },
      nodeLabels: { "worker-1": { storage: "ssd" } },
    };
    const run = await runProgram(
      {
        allowedCidrs: ALLOWED,
        stacks: '["external-secret","mediawiki"]',
        stacksDir: "test/unit/fixtures/stack-corpus",
        stackExternals: JSON.stringify({
          ...externals,
          secrets: { ...externals.secrets, mediawiki_db_password: { generate: true } },
        }),
      },
      "alice",
      SWARM_STDOUT,
    );
    if (run.error !== undefined) throw run.error;
    const prefix = "alice-stacks-externals-";
    const made = run.resources
      .filter((r) => r.name.startsWith(prefix) && r.type === "pulumi-nodejs:dynamic:Resource")
      .map((r) => r.name);
    // Only what a chosen stack names (unused_net is declared, named by none), and every label.
    expect(made.sort()).toEqual([
      `${prefix}labels-worker-1`,
      `${prefix}secret-db_root`,
      `${prefix}secret-mediawiki_db_password`,
    ]);
    expect(run.byName(`${prefix}password-mediawiki_db_password`).type).toBe(
      "random:index/randomPassword:RandomPassword",
    );
    const secret = run.byName(`${prefix}secret-db_root`);
    expect(secretValue(secret.inputs.secretStdin)).toBe(
      `SWARMLAB_SECRET_VALUE=${Buffer.from("root-pw-from-config").toString("base64")}\n`,
    );
    expect(scriptOf(secret.inputs.create).command).toBe("bash -s -- secret-create db_root");
    expect(
      plaintextPaths(recordedState(secret), /root-pw-from-config|cm9vdC1wdy1mcm9tLWNvbmZpZw/),
    ).toEqual([]);
    const labels = run.byName(`${prefix}labels-worker-1`);
    expect(scriptOf(labels.inputs.create).command).toBe("bash -s -- labels-add alice-worker-1");
    expect(scriptOf(labels.inputs.create).stdin).toContain("SWARMLAB_NODE_LABELS=storage=ssd\n");
    expect(scriptOf(labels.inputs.delete).command).toBe("bash -s -- labels-remove alice-worker-1");
    // Each stack deploys after every external exists, so it is removed before they go.
    for (const stack of ["alice-stacks-external-secret", "alice-stacks-mediawiki"]) {
      expect(run.byName(stack).dependsOn).toEqual(expect.arrayContaining(made));
    }
    // The generated password: a secret output the student reads for MediaWiki's installer.
    const stackSecrets = run.exports.stackSecrets as import("@pulumi/pulumi").Output<unknown>;
    expect(await run.pulumi.isSecret(stackSecrets as never)).toBe(true);
    // The mock provider's RandomPassword result (mock-cloud.ts) stands for the random value.
    expect(await valueOf(stackSecrets)).toEqual({ mediawiki_db_password: MOCK_REGISTRY_PASSWORD });
  });
});
