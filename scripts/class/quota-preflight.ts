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
import { OpenStackQuotaSource, QuotaSource } from "./quota-source";
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

/** Returns the refusal text, or undefined when every project has room. */
export async function checkClassQuota(
  clusters: readonly NewCluster[],
  source: QuotaSource,
): Promise<string | undefined> {
  const byProject = new Map<string, NewCluster[]>();
  for (const cluster of clusters) {
    const key = projectLabel(cluster.project);
    byProject.set(key, [...(byProject.get(key) ?? []), cluster]);
  }
  const refusals: string[] = [];
  for (const [label, list] of byProject) {
    const flavorNames = [
      ...new Set(list.flatMap((c) => [c.config.flavor, c.config.managerFlavor])),
    ];
    const report = await source.lookup(list[0].project, flavorNames);
    const unknown = flavorNames.filter((name) => report.flavors[name] === undefined);
    if (unknown.length > 0) {
      refusals.push(
        `OpenStack project ${label} has no flavor ${unknown.join(", ")}; check swarmlab:flavor and swarmlab:managerFlavor.`,
      );
      continue;
    }
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
