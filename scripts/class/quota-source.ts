/**
 * Where a project's quota comes from. The real source runs a small inline Pulumi program with
 * the same provider settings (openstack:cloud, …) and credentials as the students' stacks, and
 * reads with the token those credentials get (identity.getAuthScope): the project it is scoped
 * to, Nova's own `GET /limits` (instances, cores, RAM with usage), the provider's
 * networking.getQuotaV2 and blockstorage.getQuotasetV3 (limits) and compute.getFlavor.
 *
 * Nova is asked WITHOUT `tenant_id`: with it, Nova checks the admin-only policy
 * `os_compute_api:limits:other_project` even for the caller's own project (nova
 * api/openstack/compute/limits.py), so every teacher who is not a cloud admin got 403. The
 * provider's compute.getLimitsV2 always sends it (terraform-provider-openstack v1.54.1,
 * data_source_openstack_compute_limits_v2.go:137, project_id Required), so it is not used.
 * Neutron and Cinder invokes give limits only, so usage for those comes from the quota APIs'
 * own usage views (Neutron `/quotas/{project}/details`, Cinder `?usage=true`) for the token's
 * own project, which their policies allow; when those cannot be read, usage is "not reported"
 * and only the limit is checked.
 */
import * as openstack from "@pulumi/openstack";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { ProjectRef } from "./roster";
import type { Flavor, ProjectQuota, Usage } from "./quota";

export interface ProjectQuotaReport {
  /** The project the credentials' token is scoped to: what the stacks really create in. */
  project: { id: string; name: string };
  quota: ProjectQuota;
  /** The requested flavors; a flavor the project cannot see is absent. */
  flavors: Record<string, Flavor>;
}

export interface QuotaSource {
  lookup(project: ProjectRef, flavorNames: readonly string[]): Promise<ProjectQuotaReport>;
}

type Catalog = { type: string; endpoints: { interface: string; region: string; url: string }[] }[];

export type GetJson = (url: string, token: string) => Promise<unknown>;

async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, {
    headers: { "X-Auth-Token": token, Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function endpoint(catalog: Catalog, types: string[], region: string): string | undefined {
  const service = catalog.find((s) => types.includes(s.type));
  const found = service?.endpoints.find(
    (e) => e.interface === "public" && (region === "" || e.region === region),
  );
  return found?.url.replace(/\/+$/, "");
}

type Detail = Record<string, { used?: number; in_use?: number; limit: number } | undefined>;

function detail(details: Detail | undefined, key: string, limit: number): Usage {
  const item = details?.[key];
  const used = item?.used ?? item?.in_use;
  return { limit: item?.limit ?? limit, ...(used !== undefined ? { used } : {}) };
}

type NovaAbsolute = Record<string, number | undefined>;

/**
 * Nova's limits of the token's own project: `GET <compute>/limits`, no `tenant_id` (see the top
 * of this file), which any member of the project may read (Nova API reference, "Limits").
 */
export async function novaOwnLimits(
  compute: string,
  token: string,
  get: GetJson = getJson,
): Promise<Pick<ProjectQuota, "instances" | "vcpus" | "ramMiB">> {
  const body = (await get(`${compute}/limits`, token)) as { limits?: { absolute?: NovaAbsolute } };
  const absolute = body.limits?.absolute ?? {};
  const usage = (limit: string, used: string): Usage => ({
    limit: absolute[limit] ?? -1,
    ...(absolute[used] !== undefined ? { used: absolute[used] } : {}),
  });
  return {
    instances: usage("maxTotalInstances", "totalInstancesUsed"),
    vcpus: usage("maxTotalCores", "totalCoresUsed"),
    ramMiB: usage("maxTotalRAMSize", "totalRAMUsed"),
  };
}

/** The inline program: invokes only, creates nothing. Its outputs are the report. */
function quotaProgram(flavorNames: readonly string[]) {
  return async () => {
    const scope = await openstack.identity.getAuthScope({
      name: "swarmlab-quota",
      setTokenId: true,
    });
    const projectId = scope.projectId;
    const catalog = scope.serviceCatalogs as Catalog;
    const compute = endpoint(catalog, ["compute"], scope.region);
    if (compute === undefined)
      throw new Error("the service catalog lists no public compute endpoint");
    const [nova, neutron, cinder] = await Promise.all([
      novaOwnLimits(compute, scope.tokenId),
      openstack.networking.getQuotaV2({ projectId }),
      openstack.blockstorage.getQuotasetV3({ projectId }),
    ]);
    const network = endpoint(catalog, ["network"], scope.region);
    const volume = endpoint(catalog, ["volumev3", "block-storage"], scope.region);
    const neutronUsage = network
      ? await getJson(`${network}/v2.0/quotas/${projectId}/details`, scope.tokenId)
          .then((body) => (body as { quota?: Detail }).quota)
          .catch(() => undefined)
      : undefined;
    const cinderUsage = volume
      ? await getJson(`${volume}/os-quota-sets/${projectId}?usage=true`, scope.tokenId)
          .then((body) => (body as { quota_set?: Detail }).quota_set)
          .catch(() => undefined)
      : undefined;
    const quota: ProjectQuota = {
      ...nova,
      volumes: detail(cinderUsage, "volumes", cinder.volumes),
      volumeGiB: detail(cinderUsage, "gigabytes", cinder.gigabytes),
      floatingIps: detail(neutronUsage, "floatingip", neutron.floatingip),
      securityGroups: detail(neutronUsage, "security_group", neutron.securityGroup),
      securityGroupRules: detail(neutronUsage, "security_group_rule", neutron.securityGroupRule),
      networks: detail(neutronUsage, "network", neutron.network),
      subnets: detail(neutronUsage, "subnet", neutron.subnet),
      routers: detail(neutronUsage, "router", neutron.router),
      ports: detail(neutronUsage, "port", neutron.port),
    };
    const flavors: Record<string, Flavor> = {};
    for (const name of flavorNames) {
      const flavor = await openstack.compute.getFlavor({ name }).catch(() => undefined);
      if (flavor?.vcpus !== undefined && flavor.ram !== undefined) {
        flavors[name] = { vcpus: flavor.vcpus, ramMiB: flavor.ram };
      }
    }
    const project = { id: projectId, name: scope.projectName };
    return { report: { project, quota, flavors } };
  };
}

export class OpenStackQuotaSource implements QuotaSource {
  async lookup(project: ProjectRef, flavorNames: readonly string[]): Promise<ProjectQuotaReport> {
    const stack = await LocalWorkspace.createOrSelectStack({
      projectName: "swarmlab-quota",
      stackName: "preflight",
      program: quotaProgram(flavorNames),
    });
    try {
      for (const [key, value] of Object.entries(project)) {
        if (value !== undefined) await stack.setConfig(`openstack:${key}`, { value });
      }
      const result = await stack.up();
      return result.outputs.report.value as ProjectQuotaReport;
    } finally {
      // The program holds no resources; the stack only carried the invokes.
      await stack.workspace.removeStack("preflight", { force: true }).catch(() => undefined);
    }
  }
}
