import { createHash } from "crypto";
import YAML from "yaml";
import {
  COMPRESSED_ENCODING,
  DAEMON_JSON_PATH,
  FIREWALL_DROPIN_PATH,
  dockerDataRoot,
  NODE_ENV_PATH,
  NODE_SCRIPT_DIR,
  NODE_SCRIPTS_ARCHIVE,
  nodeEnv,
  renderUserData,
  USER_DATA_MAX_BYTES,
} from "../../infra/nodes/cloudinit";
import { NodeFile, nodeFiles } from "../../scripts/lib/user-data-view";
import { renderDaemonJson } from "../../infra/config/daemon";
import { MetaKey, nodeMetadata } from "../../infra/config/metadata";
import { templateFile } from "../../infra/nodes/templates";
import { nodeSettings, SETTINGS_MATRIX } from "./node-settings.fixture";

interface WriteFile {
  path: string;
  permissions: string;
  encoding?: string;
  content: string;
}

function parse(userData: string): { write_files: WriteFile[]; runcmd: string[]; locale: string } {
  return YAML.parse(userData);
}

/** A file as the node has it once cloud-init wrote it (decoded) and runcmd unpacked the scripts. */
function file(userData: string, path: string): NodeFile {
  const found = nodeFiles(userData).find((f) => f.path === path);
  if (!found) throw new Error(`${path} not on the node`);
  return found;
}

describe("renderUserData", () => {
  it.each(SETTINGS_MATRIX)("%s: a complete cloud-config", (_title, settings) => {
    const userData = renderUserData(settings);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_MAX_BYTES);
    const config = parse(userData);
    // What cloud-init writes: the scripts in one archive, the large files gzipped.
    expect(config.write_files.map((f) => [f.path, f.encoding])).toEqual([
      [NODE_SCRIPTS_ARCHIVE, COMPRESSED_ENCODING],
      [FIREWALL_DROPIN_PATH, undefined],
      [NODE_ENV_PATH, undefined],
      [DAEMON_JSON_PATH, COMPRESSED_ENCODING],
    ]);
    // What the node has once runcmd unpacked the archive.
    expect(nodeFiles(userData).map((f) => f.path)).toEqual([
      `${NODE_SCRIPT_DIR}/lib.sh`,
      `${NODE_SCRIPT_DIR}/storage-prepare.sh`,
      `${NODE_SCRIPT_DIR}/docker-install.sh`,
      `${NODE_SCRIPT_DIR}/registry-trust.sh`,
      `${NODE_SCRIPT_DIR}/swarm-up.sh`,
      `${NODE_SCRIPT_DIR}/container-firewall.sh`,
      FIREWALL_DROPIN_PATH,
      NODE_ENV_PATH,
      DAEMON_JSON_PATH,
    ]);
    // docker.service re-applies the container firewall on every start, from where it is written.
    expect(file(userData, FIREWALL_DROPIN_PATH).content).toMatch(
      new RegExp(`^ExecStartPost=${NODE_SCRIPT_DIR}/container-firewall.sh$`, "m"),
    );
    for (const name of [
      "lib.sh",
      "storage-prepare.sh",
      "docker-install.sh",
      "registry-trust.sh",
      "swarm-up.sh",
      "container-firewall.sh",
    ]) {
      const script = file(userData, `${NODE_SCRIPT_DIR}/${name}`);
      expect(script.content).toBe(templateFile(name));
      expect(script.permissions).toBe("0755");
    }
    expect(file(userData, DAEMON_JSON_PATH).content).toBe(renderDaemonJson(settings));
    const env = file(userData, NODE_ENV_PATH).content;
    expect(env).toContain(`STORAGE_DRIVER=${settings.storage.driver}\n`);
    expect(env).toContain(`VOLUME_FILESYSTEM=${settings.storage.volumeFilesystem ?? ""}\n`);
    expect(env).toContain(`DOCKER_SOURCE=${settings.dockerSource}\n`);
    // com.docker.network.driver.mtu of the ingress: the network's 1450; tasks get 1400 from the driver.
    expect(env).toContain("OVERLAY_MTU=1450\n");
    // Unpacking, then the steps, chained with && in ONE runcmd entry: a failure stops the rest.
    expect(config.runcmd).toEqual([
      `tar -x -m -f ${NODE_SCRIPTS_ARCHIVE} -C ${NODE_SCRIPT_DIR} && ${NODE_SCRIPT_DIR}/storage-prepare.sh && ${NODE_SCRIPT_DIR}/docker-install.sh && ${NODE_SCRIPT_DIR}/registry-trust.sh && ${NODE_SCRIPT_DIR}/swarm-up.sh`,
    ]);
    expect(config.locale).toBe("false");
  });

  it("is deterministic: the same settings give the same bytes", () => {
    for (const [, settings] of SETTINGS_MATRIX) {
      expect(renderUserData(settings)).toBe(renderUserData(structuredClone(settings)));
    }
  });

  it("renders a representative node as expected", () => {
    const userData = renderUserData(
      nodeSettings({
        storage: { driver: "btrfs", volumeFilesystem: "btrfs" },
        dockerSource: "distro",
      }),
    );
    // The scripts are checked byte for byte above; the snapshot pins the rest of the document.
    const config = YAML.parse(userData);
    config.write_files = nodeFiles(userData);
    for (const f of config.write_files)
      if (f.path.endsWith(".sh")) f.content = `<templates/${f.path.split("/").pop()}>`;
    expect(YAML.stringify(config, { lineWidth: 0, blockQuote: "literal" })).toMatchSnapshot();
  });

  it("holds no metadata value: tokens and addresses travel only in instance metadata", () => {
    const token =
      "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
    const metadata = nodeMetadata({
      owner: "alice",
      role: "worker",
      init: false,
      advertiseAddr: "10.42.0.17",
      join: { addr: "10.42.0.5:2377", token },
      dockerVolumeId: "5f3a9c1e-7b2d-4e8f-9a6b-0c1d2e3f4a5b",
    });
    for (const [, settings] of SETTINGS_MATRIX) {
      // Read through the compression: a token inside a gzipped file would hide from a grep.
      const userData = nodeFiles(renderUserData(settings))
        .map((f) => f.content)
        .join("\n");
      expect(userData).not.toContain("SWMTKN-1-");
      for (const key of [
        MetaKey.token,
        MetaKey.joinAddr,
        MetaKey.advertiseAddr,
        MetaKey.dockerVolume,
      ]) {
        expect(userData).not.toContain(metadata[key]);
      }
      // The scripts read the values on the node, by key name.
      expect(userData).toContain(`meta ${MetaKey.token}`);
      expect(userData).toContain(`meta ${MetaKey.joinAddr}`);
      expect(userData).toContain(`meta ${MetaKey.advertiseAddr}`);
      expect(userData).toContain(`meta ${MetaKey.dockerVolume}`);
      expect(userData).toContain(`meta ${MetaKey.init}`);
    }
  });

  it("refuses user-data above nova's limit, naming daemonConfig", () => {
    // Hashes: gzip cannot shrink them much, as it would repeated label text.
    const labels = Array.from(
      { length: 1000 },
      (_, i) => `course.label.${i}=${createHash("sha256").update(String(i)).digest("hex")}`,
    );
    expect(() => renderUserData(nodeSettings({ daemonConfig: { labels } }))).toThrow(
      /^user-data is \d+ bytes, above nova's limit of 49149 \(65,535 once base64-encoded\); daemonConfig makes \d+ bytes of daemon.json: shorten it$/,
    );
  });

  it("writes every file cloud-init takes compressed as it was rendered", () => {
    for (const [, settings] of SETTINGS_MATRIX) {
      const userData = renderUserData(settings);
      expect(file(userData, DAEMON_JSON_PATH).content).toBe(renderDaemonJson(settings));
      for (const name of ["lib.sh", "swarm-up.sh"]) {
        expect(file(userData, `${NODE_SCRIPT_DIR}/${name}`).content).toBe(templateFile(name));
      }
    }
  });

  it("refuses node settings that are not plain words (node.env is sourced by bash)", () => {
    expect(() => renderUserData(nodeSettings({ owner: "alice; rm -rf /" }))).toThrow(
      /OWNER=.*cannot take safely/,
    );
  });
});

describe("node.env", () => {
  it("lists every variable the node scripts read", () => {
    const env = nodeEnv(nodeSettings({ storage: { driver: "overlay2", volumeFilesystem: "xfs" } }));
    expect(env).toEqual({
      OWNER: "alice",
      SSH_USER: "debian",
      DOCKER_SOURCE: "distro",
      STORAGE_DRIVER: "overlay2",
      VOLUME_FILESYSTEM: "xfs",
      DOCKER_DATA_ROOT: "/var/lib/docker",
      OVERLAY_MTU: "1450",
      SWARM_ADDRESS_POOL: "10.20.0.0/16",
      VOLUME_DEADLINE_SECONDS: "300",
      DOCKER_START_DEADLINE_SECONDS: "180",
      SWARM_JOIN_DEADLINE_SECONDS: "900",
    });
  });

  it("derives the node-side deadlines from bootTimeoutSeconds", () => {
    const deadlines = (bootTimeoutSeconds: number) => {
      const env = nodeEnv(nodeSettings({ bootTimeoutSeconds }));
      return [
        env.VOLUME_DEADLINE_SECONDS,
        env.DOCKER_START_DEADLINE_SECONDS,
        env.SWARM_JOIN_DEADLINE_SECONDS,
      ];
    };
    expect(deadlines(1800)).toEqual(["300", "180", "1800"]);
    expect(deadlines(120)).toEqual(["120", "120", "120"]);
  });

  it("prepares storage where data-root points", () => {
    expect(dockerDataRoot(nodeSettings({ daemonConfig: { "data-root": "/srv/docker" } }))).toBe(
      "/srv/docker",
    );
    expect(() =>
      dockerDataRoot(nodeSettings({ daemonConfig: { "data-root": "/var/lib/docker/" } })),
    ).toThrow(
      'daemonConfig data-root is "/var/lib/docker/": it must be a normalised path (no //, . or .. parts, no trailing /): write /var/lib/docker',
    );
  });

  it("is read by the scripts under the same names", () => {
    const scripts = ["storage-prepare.sh", "docker-install.sh", "swarm-up.sh"]
      .map(templateFile)
      .join("\n");
    for (const key of Object.keys(nodeEnv(nodeSettings()))) {
      expect(scripts).toContain(key);
    }
  });
});
