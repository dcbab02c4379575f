/**
 * The rule of issue 23, checked against the reference: for every stack of the corpus
 * (fixtures/stack-corpus), `docker stack config` (docker CLI 28, which reads a file exactly as
 * `docker stack deploy` does, without a daemon) of the file as written and of the text swarmlab
 * sends, in an empty folder holding only the files swarmlab ships, say the same: services (ports,
 * deploy sections, environment with env files read, secret and config references with their
 * modes), secrets and configs (their files' content), networks (plus the overlay MTU where the
 * file sets none). What differs is only what swarmlab documents it changes: built images' names,
 * file paths, versioned secret/config names, the MTU, and `build:`. A file docker refuses,
 * swarmlab refuses too.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { overlayMtu } from "../../infra/config/settings";
import { availableStacks, stacksDir } from "../../infra/stacks/catalog";
import { loadStack, StackDefinition } from "../../infra/stacks/compose";
import { MTU_OPTION, renderStack } from "../../infra/stacks/render-compose";
import { builtImages } from "../../infra/stacks/stack-steps";
import { STAND_INS } from "../system/harness/stack-images";

const CORPUS = path.join(__dirname, "fixtures", "stack-corpus");
const REFUSED = path.join(CORPUS, "refused");
const REGISTRY = "10.42.0.10:5000";
/** The overlay MTU the program gives on a 1450 network (OpenStack VXLAN): the option's value. */
const MTU = overlayMtu(1450);

type Dict = Record<string, unknown>;

/** `docker stack config` of `file` in a clean environment (none of the caller's variables). */
function dockerConfig(file: string, env: Record<string, string> = {}): Dict {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-docker-home-"));
  try {
    const out = execFileSync("docker", ["stack", "config", "-c", file], {
      env: { PATH: process.env.PATH ?? "", HOME: home, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return parse(out) as Dict;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function dockerRefuses(file: string): string {
  const result = spawnSync("docker", ["stack", "config", "-c", file], { encoding: "utf8" });
  expect(result.status).not.toBe(0);
  return result.stderr;
}

function loaded(name: string, dir = CORPUS): StackDefinition {
  const result = loadStack(name, dir);
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

/** The text swarmlab would send for `stack`, and its files, written into an empty folder. */
function shipped(stack: StackDefinition): { file: string; dir: string; built: Set<string> } {
  const images = builtImages(stack);
  const contextTags = Object.fromEntries(images.map((i) => [i.service, i.tag]));
  const rendered = renderStack(stack, { registry: REGISTRY, overlayMtu: MTU, contextTags });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-shipped-"));
  for (const file of rendered.files) {
    fs.mkdirSync(path.join(dir, path.dirname(file.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, file.path), file.content);
  }
  fs.writeFileSync(path.join(dir, "compose.yaml"), rendered.compose);
  return {
    file: path.join(dir, "compose.yaml"),
    dir,
    built: new Set(images.map((i) => i.service)),
  };
}

function isDict(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Secrets or configs with each `file` replaced by its content (paths differ, content must not). */
function withContents(section: unknown): Dict {
  if (!isDict(section)) return {};
  return Object.fromEntries(
    Object.entries(section).map(([key, value]) => {
      if (!isDict(value) || typeof value.file !== "string") return [key, value];
      const { file, ...rest } = value;
      return [key, { ...rest, content: fs.readFileSync(file, "utf8") }];
    }),
  );
}

/** `value` without `keys`. */
function without(value: unknown, ...keys: string[]): Dict {
  return Object.fromEntries(Object.entries(value as Dict).filter(([key]) => !keys.includes(key)));
}

/** A service without what swarmlab documents it changes: build, env_file paths, built image. */
function comparable(service: unknown, built: boolean): Dict {
  const envFile = (service as Dict).env_file;
  return {
    ...without(service, "build", "env_file", ...(built ? ["image"] : [])),
    envFiles: Array.isArray(envFile) ? envFile.length : 0,
  };
}

const STACKS = availableStacks(CORPUS);
/** The system test's own stacks (a folder as swarmlab:stacksDir names one). */
const SYSTEM_STACKS = path.join(__dirname, "..", "system", "stacks");
/** The corpus, the built-in stacks of stacks/ and the system test's (the same rule holds). */
const ALL: [string, string][] = [
  ...STACKS.map((name): [string, string] => [`stack-corpus/${name}`, CORPUS]),
  ...availableStacks().map((name): [string, string] => [`stacks/${name}`, stacksDir()]),
  ...availableStacks(SYSTEM_STACKS).map((name): [string, string] => [
    `system/stacks/${name}`,
    SYSTEM_STACKS,
  ]),
];

// The reference must be there: docker CLI 28 (FACTS.md: first on PATH on our machines; Debian
// 12's docker.io 20.10 has no `docker stack config`). Say so rather than fail on every file.
const reference = spawnSync("docker", ["stack", "config", "--help"], { encoding: "utf8" });
if (reference.status !== 0) {
  throw new Error(
    `stacks-corpus.test.ts needs a docker CLI with "docker stack config" (28.x) on PATH: ${reference.error?.message ?? reference.stderr}`,
  );
}

describe("the stack corpus", () => {
  it("has the shapes public stacks use, at least ten", () => {
    expect(STACKS.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(ALL)(
    "%s: docker stack config of the original and of what swarmlab sends",
    (label, dir) => {
      const name = path.basename(label);
      const stack = loaded(name, dir);
      const original = dockerConfig(path.join(dir, name, "compose.yaml"), {
        SWARMLAB_REGISTRY: REGISTRY,
        SWARMLAB_OVERLAY_MTU: String(MTU),
      });
      const sent = shipped(stack);
      // No variable at all: swarmlab's text must not depend on the manager's environment.
      const mine = dockerConfig(sent.file);
      afterAll(() => fs.rmSync(sent.dir, { recursive: true, force: true }));

      it("has the same services: ports, deploy, environment, secret and config modes", () => {
        const services = (config: Dict) =>
          Object.fromEntries(
            Object.entries(config.services as Dict).map(([service, definition]) => [
              service,
              comparable(definition, sent.built.has(service)),
            ]),
          );
        expect(services(mine)).toEqual(services(original));
      });

      it("runs each built service from the cluster's registry, tagged by its context", () => {
        for (const image of builtImages(stack)) {
          const ran = ((mine.services as Dict)[image.service] as Dict).image;
          expect(ran).toMatch(new RegExp(`^${REGISTRY}/[a-z0-9._/-]+:${image.tag}$`));
        }
      });

      it("has the same secrets and configs, with the same content, under versioned names", () => {
        for (const section of ["secrets", "configs"]) {
          const theirs = withContents(original[section]);
          const ours = withContents(mine[section]);
          const unnamed = (entries: Dict) =>
            Object.fromEntries(
              Object.entries(entries).map(([key, value]) => [key, without(value, "name")]),
            );
          expect(unnamed(ours)).toEqual(unnamed(theirs));
          for (const [key, value] of Object.entries(ours)) {
            if (isDict(value) && "content" in value) {
              expect(value.name).toMatch(new RegExp(`^[A-Za-z0-9_.-]*${key}_[0-9a-f]{8}$`));
            }
          }
        }
      });

      it("has the same networks, every overlay one at the overlay MTU unless the file set one", () => {
        const theirs = (original.networks ?? {}) as Dict;
        const ours = (mine.networks ?? {}) as Dict;
        // Docker's rule (cli/compose/convert/service.go, convertServiceNetworks): a service that
        // names no network, or names `default`, is on the stack's default network; network_mode
        // is ignored by docker stack deploy. `docker stack config` prints service networks as a map.
        const usesDefault = Object.values(original.services as Dict).some((s) => {
          const networks = (s as Dict).networks;
          return !isDict(networks) || Object.keys(networks).length === 0 || "default" in networks;
        });
        expect(Object.keys(ours).sort()).toEqual(
          [...new Set([...Object.keys(theirs), ...(usesDefault ? ["default"] : [])])].sort(),
        );
        for (const [network, definition] of Object.entries(ours)) {
          const before = (theirs[network] ?? {}) as Dict;
          const after = definition as Dict;
          if (before.external === true) {
            expect(after).toEqual(before);
            continue;
          }
          const beforeOptions = (before.driver_opts ?? {}) as Dict;
          const afterOptions = (after.driver_opts ?? {}) as Dict;
          expect(afterOptions[MTU_OPTION]).toBe(String(beforeOptions[MTU_OPTION] ?? MTU));
          expect(without(after, "driver_opts")).toEqual(without(before, "driver_opts"));
          expect({ ...afterOptions, [MTU_OPTION]: undefined }).toEqual({
            ...beforeOptions,
            [MTU_OPTION]: undefined,
          });
        }
      });

      it("has the same volumes and extension fields", () => {
        expect(mine.volumes).toEqual(original.volumes);
        const extensions = (config: Dict) =>
          Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith("x-")));
        expect(extensions(mine)).toEqual(extensions(original));
      });
    },
  );
});

describe("files docker stack deploy refuses", () => {
  it.each(availableStacks(REFUSED))(
    "%s: docker refuses it, and so does swarmlab at preview",
    (name) => {
      const dockerError = dockerRefuses(path.join(REFUSED, name, "compose.yaml"));
      const result = loadStack(name, REFUSED);
      expect({ dockerError: dockerError.trim() !== "", ok: result.ok }).toEqual({
        dockerError: true,
        ok: false,
      });
    },
  );

  it("are refused naming the key and the reason", () => {
    const problems = (name: string) => {
      const result = loadStack(name, REFUSED);
      return result.ok ? [] : result.problems;
    };
    expect(problems("depends-on-condition")).toEqual([
      "services.app.depends_on: must be a list (docker stack deploy refuses it)",
    ]);
    expect(problems("forbidden-key")).toEqual([
      "services.app.mem_limit: docker stack deploy refuses it. Set resource limits using deploy.resources",
    ]);
    expect(problems("old-version")[0]).toMatch(
      /^version: "2.4" is not a compose file version docker stack deploy takes/,
    );
    expect(problems("unknown-key")).toEqual([
      'services.app.deploy: unknown key "replica" (docker stack deploy refuses it)',
    ]);
    expect(problems("bad-port")).toEqual(expect.arrayContaining([expect.stringMatching(/ports/)]));
  });
});

describe("the system test's own stacks", () => {
  // Nothing can be pulled on our machines: a task whose image has no local stand-in
  // (test/system/harness/stack-images.ts) is rejected with "No such image" on the cluster.
  it.each(availableStacks(SYSTEM_STACKS))(
    "%s names only images the system test stands in for",
    (name) => {
      const loaded = loadStack(name, SYSTEM_STACKS);
      if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
      // The document as docker reads it: merge keys applied (an x- anchor's image counts).
      const services = (loaded.stack.document.services ?? {}) as Record<string, { image?: string }>;
      const images = Object.values(services).flatMap((s) => (s.image ? [s.image] : []));
      expect(images.length).toBeGreaterThan(0);
      expect(images.filter((image) => !(image in STAND_INS))).toEqual([]);
    },
  );
});
