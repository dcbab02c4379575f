import YAML from "yaml";
import {
  htpasswdFile,
  registryCompose,
  registryDeployScript,
} from "../../infra/registry/registry-files";
import { parseComposeYaml } from "../../infra/stacks/compose-yaml";

const HASH = `$2a$10$${"a".repeat(53)}`;
const ARGS = {
  image: "registry:2",
  node: "alice-manager-0",
  certificate: "CERT",
  privateKey: "KEY",
  htpasswd: htpasswdFile("swarmlab", HASH),
};

describe("the registry's compose file", () => {
  const compose = YAML.parse(registryCompose(ARGS));
  const service = compose.services.registry;

  it("runs the configured image on manager-0 with its data in a named volume", () => {
    expect(service.image).toBe("registry:2");
    expect(service.deploy.placement.constraints).toEqual(["node.hostname == alice-manager-0"]);
    expect(service.volumes).toEqual(["registry-data:/var/lib/registry"]);
    expect(compose.volumes["registry-data"].name).toBe("swarmlab-registry-data");
    expect(service.environment.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY).toBe("/var/lib/registry");
  });

  it("publishes 5000 in host mode with TLS and htpasswd auth from swarm secrets", () => {
    expect(service.ports).toEqual([
      { target: 5000, published: 5000, protocol: "tcp", mode: "host" },
    ]);
    expect(service.environment).toMatchObject({
      REGISTRY_HTTP_TLS_CERTIFICATE: "/run/secrets/registry.crt",
      REGISTRY_HTTP_TLS_KEY: "/run/secrets/registry.key",
      REGISTRY_AUTH: "htpasswd",
      REGISTRY_AUTH_HTPASSWD_PATH: "/run/secrets/htpasswd",
    });
  });

  it("mounts the key and the password hashes 0400 and the certificate 0444 (CIS Docker Benchmark 3.8-3.14)", () => {
    // Read by docker's own integer rules (parseComposeYaml: yaml.v3, where 0400 is octal, 256).
    const parsed = parseComposeYaml(registryCompose(ARGS));
    expect(parsed.errors).toEqual([]);
    const modes = parsed.document.toJS().services.registry.secrets;
    expect(modes).toEqual([
      { source: "registry-crt", target: "registry.crt", mode: 0o444 },
      { source: "registry-key", target: "registry.key", mode: 0o400 },
      { source: "registry-htpasswd", target: "htpasswd", mode: 0o400 },
    ]);
  });

  it("names each secret after its content, so a new key is a new swarm secret", () => {
    const names = (text: string) =>
      Object.values(YAML.parse(text).secrets as Record<string, { name: string }>).map(
        (s) => s.name,
      );
    const before = names(registryCompose(ARGS));
    const after = names(registryCompose({ ...ARGS, privateKey: "OTHER KEY" }));
    expect(before[0]).toBe(after[0]);
    expect(before[1]).not.toBe(after[1]);
    expect(before.every((n) => /^swarmlab-registry-[a-z]+-[0-9a-f]{12}$/.test(n))).toBe(true);
  });

  it("refuses an image name that is not one", () => {
    expect(() => registryCompose({ ...ARGS, image: "registry 2; rm -rf /" })).toThrow(
      'swarmlab:registryImage "registry 2; rm -rf /" is not an image name',
    );
  });
});

describe("htpasswd", () => {
  it("is one bcrypt line", () => {
    expect(htpasswdFile("swarmlab", HASH)).toBe(`swarmlab:${HASH}\n`);
    expect(() => htpasswdFile("swarmlab", "plain")).toThrow("not a bcrypt hash");
  });
});

describe("the deploy script", () => {
  it("takes deadline, endpoint and image as arguments and every secret on stdin", () => {
    const script = registryDeployScript({
      ...ARGS,
      endpoint: "10.42.0.10:5000",
      user: "swarmlab",
      password: "s3cretpassw0rd",
      caCertificate: "CA",
      timeoutSeconds: 600,
    });
    expect(script.command).toBe("bash -s -- 600 10.42.0.10:5000 registry:2");
    expect(script.command).not.toContain("s3cretpassw0rd");
    expect(script.stdin).not.toContain("s3cretpassw0rd"); // base64 only
    const curlrc = /SWARMLAB_FILE_curlrc='([^']+)'/.exec(script.stdin)?.[1] ?? "";
    expect(Buffer.from(curlrc, "base64").toString()).toBe('user = "swarmlab:s3cretpassw0rd"\n');
  });
});
