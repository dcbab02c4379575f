import { parseLabConfig } from "../../infra/config/validate";
import { existingNetworkConfig } from "../../infra/config/subnet-plan";

function existingNetworkLab(workers: string) {
  const parsed = parseLabConfig(
    { allowedCidrs: '["10.0.0.0/8"]', network: "course-net", workers },
    "alice",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe("existingNetworkConfig", () => {
  it("takes the subnet and the overlay pool from the network's real subnet", () => {
    const result = existingNetworkConfig(existingNetworkLab("2"), "10.200.0.0/16");
    expect(result.ok && [result.config.cidr, result.config.swarmAddressPool]).toEqual([
      "10.200.0.0/16",
      "172.29.0.0/16",
    ]);
    // 10.0.0.0/8 in allowedCidrs does not overlap 172.29.0.0/16: no warning.
    expect(result.ok && result.warnings).toEqual([]);
  });

  it("refuses a subnet without room for every node, naming the network", () => {
    const result = existingNetworkConfig(existingNetworkLab("5"), "192.168.10.0/29");
    expect(result.ok ? [] : result.problems).toEqual([
      {
        key: "network",
        reason:
          'is "course-net" (subnet 192.168.10.0/29): it has room for 4 nodes but the cluster ' +
          "has 6; use a larger subnet such as 192.168.10.0/24",
      },
    ]);
  });
});
