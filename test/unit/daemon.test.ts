import {
  DEFAULT_DAEMON_SETTINGS,
  DEFAULT_LOG_OPTS,
  KNOWN_DAEMON_KEYS,
  OWNED_DAEMON_KEYS,
  refusedDaemonKeyReason,
  renderDaemonJson,
} from "../../infra/config/daemon";
import { nodeSettings, STORAGE_PLANS } from "./node-settings.fixture";

describe("renderDaemonJson", () => {
  it.each(
    STORAGE_PLANS.map((storage) => [storage.driver, storage.volumeFilesystem ?? "root", storage]),
  )(
    "%s on %s: valid JSON with the driver, the MTU and only known keys",
    (_driver, _fs, storage) => {
      const text = renderDaemonJson(nodeSettings({ storage, mtu: 1400 }));
      const config = JSON.parse(text);
      expect(config["storage-driver"]).toBe(storage.driver);
      expect(config.mtu).toBe(1400);
      for (const key of Object.keys(config)) expect(KNOWN_DAEMON_KEYS).toContain(key);
      expect(config["live-restore"]).toBeUndefined();
    },
  );

  it("is sorted, 2-space indented, newline-terminated and deterministic", () => {
    const settings = nodeSettings({ daemonConfig: { labels: ["b=2"], debug: true } });
    const text = renderDaemonJson(settings);
    expect(renderDaemonJson(settings)).toBe(text);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toBe(
      [
        "{",
        '  "debug": true,',
        '  "icc": false,',
        '  "labels": [',
        '    "b=2"',
        "  ],",
        '  "log-driver": "json-file",',
        '  "log-opts": {',
        '    "max-file": "3",',
        '    "max-size": "10m"',
        "  },",
        '  "mtu": 1450,',
        '  "storage-driver": "overlay2",',
        '  "userland-proxy": false',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("sorts nested keys whatever order daemonConfig uses", () => {
    const a = renderDaemonJson(nodeSettings({ daemonConfig: { "log-opts": { z: "1", a: "2" } } }));
    const b = renderDaemonJson(nodeSettings({ daemonConfig: { "log-opts": { a: "2", z: "1" } } }));
    expect(a).toBe(b);
  });

  it("limits json-file logs by default so a chatty service cannot fill the disk", () => {
    const config = JSON.parse(renderDaemonJson(nodeSettings()));
    expect(config["log-driver"]).toBe("json-file");
    expect(config["log-opts"]).toEqual(DEFAULT_LOG_OPTS);
  });

  it("follows the CIS Docker Benchmark's 2.2 and 2.16: no icc on the default bridge, no userland proxy", () => {
    const config = JSON.parse(renderDaemonJson(nodeSettings()));
    expect(config.icc).toBe(false);
    expect(config["userland-proxy"]).toBe(false);
    expect(DEFAULT_DAEMON_SETTINGS).toEqual({ icc: false, "userland-proxy": false });
  });

  it("a teacher's daemonConfig wins over the benchmark defaults where it sets the key", () => {
    const config = JSON.parse(
      renderDaemonJson(nodeSettings({ daemonConfig: { icc: true, "userland-proxy": true } })),
    );
    expect(config.icc).toBe(true);
    expect(config["userland-proxy"]).toBe(true);
    const onlyIcc = JSON.parse(renderDaemonJson(nodeSettings({ daemonConfig: { icc: true } })));
    expect(onlyIcc["userland-proxy"]).toBe(false);
  });

  it("drops the default log-opts when another log driver is chosen (they would be invalid)", () => {
    const config = JSON.parse(
      renderDaemonJson(nodeSettings({ daemonConfig: { "log-driver": "journald" } })),
    );
    expect(config["log-driver"]).toBe("journald");
    expect(config["log-opts"]).toBeUndefined();
  });

  it("keeps the user's log-opts and data-root", () => {
    const daemonConfig = { "log-opts": { "max-size": "50m" }, "data-root": "/srv/docker" };
    const config = JSON.parse(renderDaemonJson(nodeSettings({ daemonConfig })));
    expect(config["log-opts"]).toEqual({ "max-size": "50m" });
    expect(config["data-root"]).toBe("/srv/docker");
  });

  it("owned keys always win, even if validation were bypassed", () => {
    const daemonConfig = {
      "storage-driver": "vfs",
      mtu: 9000,
      hosts: ["tcp://0.0.0.0:2375"],
      "live-restore": true,
    };
    const config = JSON.parse(
      renderDaemonJson(
        nodeSettings({ daemonConfig, storage: { driver: "btrfs", volumeFilesystem: "btrfs" } }),
      ),
    );
    expect(config["storage-driver"]).toBe("btrfs");
    expect(config.mtu).toBe(1450);
    expect(config.hosts).toBeUndefined();
    expect(config["live-restore"]).toBeUndefined();
  });
});

describe("daemon key lists", () => {
  it("owns storage, MTU, sockets, TLS and live-restore; data-root stays a user key", () => {
    expect([...OWNED_DAEMON_KEYS].sort()).toEqual(
      [
        "hosts",
        "live-restore",
        "mtu",
        "storage-driver",
        "storage-opts",
        "tls",
        "tlscacert",
        "tlscert",
        "tlskey",
        "tlsverify",
      ].sort(),
    );
    expect(OWNED_DAEMON_KEYS).not.toContain("data-root");
    expect(refusedDaemonKeyReason("data-root")).toBeUndefined();
    expect(refusedDaemonKeyReason("toString")).toBeUndefined();
  });

  it("every owned key is a known key, and known keys are unique and sorted", () => {
    for (const key of OWNED_DAEMON_KEYS) expect(KNOWN_DAEMON_KEYS).toContain(key);
    expect(new Set(KNOWN_DAEMON_KEYS).size).toBe(KNOWN_DAEMON_KEYS.length);
    expect([...KNOWN_DAEMON_KEYS].sort()).toEqual(KNOWN_DAEMON_KEYS);
  });
});
