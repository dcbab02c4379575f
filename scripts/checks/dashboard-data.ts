/**
 * The dashboard's data, class.json: per student what their stack's outputs say of the cluster
 * (nodes Ready of expected, each stack's services running/wanted, from the last `pulumi up`),
 * the expiry from the roster, and the last check run of each lab. Pure: built from the class
 * tool's reports and saved check runs; the page (dashboard/page.js) renders it.
 */
import { clusterState, StudentReport } from "../class/reports";
import { isExpired } from "../class/expiry";
import type { CheckResult } from "./plan";
import type { CheckRun } from "./report";

export interface DashboardNode {
  name: string;
  role: string;
  state: string;
  availability: string;
}

export interface DashboardStack {
  name: string;
  converged: boolean;
  services: { service: string; running: number; wanted: number }[];
}

export interface DashboardChecks {
  lab: string;
  at: string;
  results: CheckResult[];
  problem?: string;
}

export interface DashboardStudent {
  id: string;
  /** The cluster's state from its stack's last update: "up", "no stack", "up failed"... */
  state: string;
  expires?: string;
  expired: boolean;
  nodes: { ready: number; expected: number; list: DashboardNode[] };
  stacks: DashboardStack[];
  checks: DashboardChecks[];
}

export interface DashboardData {
  format: 1;
  /** When class.json was written, ISO 8601. */
  generated: string;
  students: DashboardStudent[];
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === "object" && v !== null) : [];
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function nodesOf(outputs: Record<string, unknown>): DashboardStudent["nodes"] {
  const list = records(outputs.swarm).map((n) => ({
    name: str(n.name),
    role: str(n.role),
    state: str(n.state),
    availability: str(n.availability),
  }));
  const expected = records(outputs.nodes).length;
  return { ready: list.filter((n) => n.state === "Ready").length, expected, list };
}

function stacksOf(outputs: Record<string, unknown>): DashboardStack[] {
  const stacks = outputs.stacks;
  if (typeof stacks !== "object" || stacks === null) return [];
  return Object.entries(stacks as Record<string, { services?: unknown }>)
    .map(([name, status]) => {
      const services = records(status?.services).map((s) => ({
        service: str(s.service),
        running: Number(s.running) || 0,
        wanted: Number(s.wanted) || 0,
      }));
      return { name, converged: services.every((s) => s.running === s.wanted), services };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Each lab's saved run, for `id`: the student's results in it (a lab they were not in: none). */
function checksOf(id: string, runs: readonly CheckRun[]): DashboardChecks[] {
  return runs.flatMap((run) => {
    const mine = run.students.find((s) => s.id === id);
    if (!mine) return [];
    return [
      {
        lab: run.lab,
        at: run.at,
        results: mine.results,
        ...(mine.problem ? { problem: mine.problem } : {}),
      },
    ];
  });
}

export function dashboardData(
  reports: readonly StudentReport[],
  runs: readonly CheckRun[],
  today: string,
  now: Date,
): DashboardData {
  return {
    format: 1,
    generated: now.toISOString(),
    students: reports.map((r) => ({
      id: r.id,
      state: clusterState(r.status),
      ...(r.expires ? { expires: r.expires } : {}),
      expired: isExpired(r.expires, today),
      nodes: nodesOf(r.outputs),
      stacks: stacksOf(r.outputs),
      checks: checksOf(
        r.id,
        [...runs].sort((a, b) => (a.lab < b.lab ? -1 : 1)),
      ),
    })),
  };
}
