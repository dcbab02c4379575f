import {
  accessRuleSpecs,
  clusterRuleSpecs,
  SWARM_PORT_RULES,
} from "../../infra/network/firewall-rules";

describe("firewall rule specs", () => {
  it("opens every swarm port only to cluster members", () => {
    const rules = clusterRuleSpecs();
    expect(rules.map((r) => `${r.protocol}/${r.ports?.min ?? "-"}`)).toEqual([
      "tcp/2377",
      "tcp/7946",
      "udp/7946",
      "udp/4789",
      "icmp/-",
      "tcp/5000",
      "tcp/2376",
      // SSH between members: the jump through a manager to a worker (issue 22, item 9).
      "tcp/22",
    ]);
    expect(rules.every((r) => r.source.kind === "cluster-members")).toBe(true);
  });

  it("opens the registry (5000) and the Docker API (2376) to cluster members and allowedCidrs only", () => {
    const cidrs = ["203.0.113.0/24", "198.51.100.7/32"];
    const lab = (rules: ReturnType<typeof clusterRuleSpecs>) =>
      rules
        .filter((r) => r.ports?.min === 5000 || r.ports?.min === 2376)
        .map((r) => ({ port: r.ports?.min, protocol: r.protocol, source: r.source }));
    expect(lab(clusterRuleSpecs())).toEqual([
      { port: 5000, protocol: "tcp", source: { kind: "cluster-members" } },
      { port: 2376, protocol: "tcp", source: { kind: "cluster-members" } },
    ]);
    expect(lab(accessRuleSpecs(cidrs))).toEqual(
      cidrs.flatMap((cidr) => [
        { port: 5000, protocol: "tcp", source: { kind: "cidr", cidr } },
        { port: 2376, protocol: "tcp", source: { kind: "cidr", cidr } },
      ]),
    );
    // Nothing ever opens the unencrypted Docker API.
    const all = [...clusterRuleSpecs(), ...accessRuleSpecs(cidrs)];
    expect(
      all.some((r) => r.ports !== undefined && r.ports.min <= 2375 && r.ports.max >= 2375),
    ).toBe(false);
  });

  it("opens SSH once per allowed CIDR and nothing swarm-internal", () => {
    const rules = accessRuleSpecs(["203.0.113.0/24", "198.51.100.7/32"]);
    const ssh = rules.filter((r) => r.ports?.min === 22);
    expect(ssh.map((r) => r.source)).toEqual([
      { kind: "cidr", cidr: "203.0.113.0/24" },
      { kind: "cidr", cidr: "198.51.100.7/32" },
    ]);
    // The swarm's own ports (5000 and 2376 are opened to allowedCidrs on purpose, above).
    const swarmPorts = SWARM_PORT_RULES.flatMap((r) => (r.ports ? [r.ports.min] : []));
    expect(rules.some((r) => r.ports && swarmPorts.includes(r.ports.min))).toBe(false);
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
  });
});
