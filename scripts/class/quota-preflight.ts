/**
 * The quota check before `class up`: the new clusters of each OpenStack project against what
 * that project has left. Stacks that already hold resources are taken to have their quota
 * already (a change of their size is not checked here; Pulumi then fails that one student).
 */
import * as fs from "node:fs";
import type { LabConfig } from "../../infra/config/config";
import { checkStackFile } from "../lib/check-stack-file";
import { stackFilePath } from "./init";
import { addNeeds, clusterNeeds, noNeeds, refusalText, shortfalls } from "./quota";
import { OpenStackQuotaSource, ProjectQuotaReport, QuotaSource } from "./quota-source";
import { OPENSTACK_KEYS, ProjectRef, Student } from "./roster";
import type { ClassWorkspace } from "./workspace";

export interface NewCluster {
  id: string;
  project: ProjectRef;
  config: LabConfig;
}

/** "cloud campus, tenantName cc-2026", or the environment's project (openrc). */
export function projectLabel(project: ProjectRef): string {
  const parts = OPENSTACK_KEYS.filter((k) => project[k] !== undefined).map(
    (k) => `${k} ${project[k]}`,
  );
  return parts.length > 0 ? `(${parts.join(", ")})` : "(from the OS_* environment)";
}

/** The flavors of these clusters, each once. */
function flavorsOf(list: readonly NewCluster[]): string[] {
  return [...new Set(list.flatMap((c) => [c.config.flavor, c.config.managerFlavor]))];
}

/**
 * Returns the refusal text, or undefined when every project has room. Each distinct set of
 * credentials is asked once; the clusters are then summed by the project its token was scoped
 * to, since two settings (e.g. two clouds.yaml entries, or a tenantName the provider ignores
 * beside `cloud`) may land in the same project.
 */
export async function checkClassQuota(
  clusters: readonly NewCluster[],
  source: QuotaSource,
): Promise<string | undefined> {
  const byCredentials = new Map<string, NewCluster[]>();
  for (const cluster of clusters) {
    const key = projectLabel(cluster.project);
    byCredentials.set(key, [...(byCredentials.get(key) ?? []), cluster]);
  }
  const refusals: string[] = [];
  const byProject = new Map<
    string,
    { label: string; report: ProjectQuotaReport; list: NewCluster[] }
  >();
  for (const [label, list] of byCredentials) {
    const flavorNames = [...new Set([...flavorsOf(clusters), ...flavorsOf(list)])];
    const report = await source.lookup(list[0].project, flavorNames);
    const unknown = flavorsOf(list).filter((name) => report.flavors[name] === undefined);
    if (unknown.length > 0) {
      refusals.push(
        `OpenStack project ${label} has no flavor ${unknown.join(", ")}; check swarmlab:flavor and swarmlab:managerFlavor.`,
      );
      continue;
    }
    const seen = byProject.get(report.project.id);
    if (seen === undefined) {
      const name = `${report.project.name} (${report.project.id})`;
      byProject.set(report.project.id, { label: `${name} ${label}`, report, list: [...list] });
    } else {
      seen.label += ` ${label}`;
      seen.list.push(...list);
    }
  }
  for (const { label, report, list } of byProject.values()) {
    const needs = list
      .map((c) => clusterNeeds(c.config, report.flavors))
      .reduce(addNeeds, noNeeds());
    const short = shortfalls(needs, report.quota);
    if (short.length > 0)
      refusals.push(
        refusalText(
          label,
          list.map((c) => c.id),
          short,
        ),
      );
  }
  return refusals.length > 0 ? refusals.join("\n\n") : undefined;
}

/** Reads each new student's stack file as the stack will (hand-set values too), then checks. */
export async function quotaPreflight(
  students: readonly Student[],
  workspace: ClassWorkspace,
  dir: string,
  source: QuotaSource = new OpenStackQuotaSource(),
): Promise<string | undefined> {
  const clusters: NewCluster[] = [];
  for (const student of students) {
    const status = await workspace.status(student.id);
    if (status.exists && (status.resourceCount ?? 0) > 0) continue;
    const file = stackFilePath(dir, student.id);
    const parsed = checkStackFile(fs.readFileSync(file, "utf8"), file, student.id);
    if (!parsed.ok) return `${file}: ${parsed.problems.join("; ")}`;
    clusters.push({ id: student.id, project: student.project, config: parsed.config });
  }
  return clusters.length === 0 ? undefined : checkClassQuota(clusters, source);
}
