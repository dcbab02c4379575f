import YAML from "yaml";
import { dockerApiSans, opensslSubjectAltName, registrySans } from "../../infra/ca/sans";
import {
  dockerApiDaemonKeys,
  dockerApiDropIn,
  dockerApiTlsScript,
} from "../../infra/ca/docker-api";
import {
  caCertificateChunks,
  MAX_METADATA_VALUE_LENGTH,
  MetaKey,
  nodeMetadata,
} from "../../infra/config/metadata";
import { registryEndpoints, REGISTRY_DNS_NAME } from "../../infra/config/registry-address";
import { OWNED_DAEMON_KEYS } from "../../infra/config/daemon";
import { MOCK_CERTIFICATE_PEM } from "./support/program";

describe("SAN lists", () => {
  it("the registry: manager-0's private address, floating IP and the registry name", () => {
    expect(registrySans({ privateIp: "10.42.0.10", publicIp: "203.0.113.5" })).toEqual({
      dnsNames: [REGISTRY_DNS_NAME],
      ipAddresses: ["10.42.0.10", "203.0.113.5"],
    });
    // No floating IP (the system test): the private address and the name only.
    expect(registrySans({ privateIp: "10.42.0.10" })).toEqual({
      dnsNames: [REGISTRY_DNS_NAME],
      ipAddresses: ["10.42.0.10"],
    });
  });

  it("a manager's Docker API: its name, localhost, its addresses and loopback", () => {
    expect(
      dockerApiSans({ name: "alice-manager-1", privateIp: "10.42.0.11", publicIp: "203.0.113.6" }),
    ).toEqual({
      dnsNames: ["alice-manager-1", "localhost"],
      ipAddresses: ["10.42.0.11", "203.0.113.6", "127.0.0.1"],
    });
  });

  it("as openssl's subjectAltName, names first", () => {
    expect(opensslSubjectAltName(registrySans({ privateIp: "10.0.0.1" }))).toBe(
      `DNS:${REGISTRY_DNS_NAME},IP:10.0.0.1`,
    );
  });

  it("the registry endpoints every node trusts are exactly the certificate's names, on 5000", () => {
    const host = { privateIp: "10.42.0.10", publicIp: "203.0.113.5" };
    const sans = registrySans(host);
    expect(registryEndpoints(host)).toEqual(
      [...sans.ipAddresses, ...sans.dnsNames].map((name) => `${name}:5000`),
    );
  });
});

describe("the lab CA in instance metadata", () => {
  it("is cut into values nova accepts and rebuilds to the same certificate", () => {
    const chunks = caCertificateChunks(MOCK_CERTIFICATE_PEM);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.length <= MAX_METADATA_VALUE_LENGTH)).toBe(true);
    const body = MOCK_CERTIFICATE_PEM.split("\n")
      .filter((line) => line !== "" && !line.startsWith("-----"))
      .join("");
    expect(chunks.join("")).toBe(body);
  });

  it("refuses anything but one PEM certificate (a private key above all)", () => {
    expect(() =>
      caCertificateChunks("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    ).toThrow("the registry CA is not one PEM certificate");
  });

  it("goes with the registry endpoints into every node's metadata", () => {
    const meta = nodeMetadata({
      owner: "alice",
      role: "worker",
      init: false,
      advertiseAddr: "10.42.0.100",
      registryTrust: {
        caCertificate: MOCK_CERTIFICATE_PEM,
        endpoints: ["10.42.0.10:5000", "203.0.113.5:5000"],
      },
    });
    expect(meta[MetaKey.registryEndpoints]).toBe("10.42.0.10:5000 203.0.113.5:5000");
    expect(meta[`${MetaKey.registryCaChunk}0`]).toBe(caCertificateChunks(MOCK_CERTIFICATE_PEM)[0]);
  });
});

describe("the Docker API over mutual TLS", () => {
  it("daemon.json keys: the local socket and 2376 with client certificates, nothing on 2375", () => {
    expect(dockerApiDaemonKeys()).toEqual({
      hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"],
      tls: true,
      tlsverify: true,
      tlscacert: "/etc/docker/tls/ca.pem",
      tlscert: "/etc/docker/tls/server-cert.pem",
      tlskey: "/etc/docker/tls/server-key.pem",
    });
    // Keys a student cannot override in daemonConfig.
    for (const key of Object.keys(dockerApiDaemonKeys())) expect(OWNED_DAEMON_KEYS).toContain(key);
  });

  it("the drop-in clears ExecStart (and with it -H fd://) before setting its own", () => {
    const lines = dockerApiDropIn()
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(lines).toEqual([
      "[Service]",
      "ExecStart=",
      "ExecStart=/usr/bin/env dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS",
    ]);
    expect(dockerApiDropIn()).not.toMatch(/^ExecStart=.*-H/m);
  });

  it("the script gets the key on stdin, never on its command line", () => {
    const script = dockerApiTlsScript({
      caCertificate: "CA-PEM",
      certificate: "CERT-PEM",
      privateKey: "SECRET-KEY-PEM",
      timeoutSeconds: 120,
    });
    expect(script.command).toBe("bash -s -- 120");
    const encoded = Buffer.from("SECRET-KEY-PEM").toString("base64");
    expect(script.stdin).toContain(`SWARMLAB_FILE_key='${encoded}'`);
    const keys = Buffer.from(
      /SWARMLAB_FILE_daemon_keys='([^']+)'/.exec(script.stdin)?.[1] ?? "",
      "base64",
    ).toString();
    expect(YAML.parse(keys)).toEqual(dockerApiDaemonKeys());
  });
});
