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
    ]);
    expect(rules.every((r) => r.source.kind === "cluster-members")).toBe(true);
  });

  it("opens SSH once per allowed CIDR and nothing swarm-internal", () => {
    const rules = accessRuleSpecs(["203.0.113.0/24", "198.51.100.7/32"]);
    const ssh = rules.filter((r) => r.ports?.min === 22);
    expect(ssh.map((r) => r.source)).toEqual([
      { kind: "cidr", cidr: "203.0.113.0/24" },
      { kind: "cidr", cidr: "198.51.100.7/32" },
    ]);
    const swarmPorts = SWARM_PORT_RULES.flatMap((r) => (r.ports ? [r.ports.min] : []));
    expect(rules.some((r) => r.ports && swarmPorts.includes(r.ports.min))).toBe(false);
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
  });
});
