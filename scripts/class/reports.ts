/**
 * The `outputs` table a teacher hands out and the `status` table. Pure: they take what the
 * workspace returned and render text.
 */
import { stackUrls } from "../bundle/contents";
import { isExpired } from "./expiry";
import { csvTable, markdownTable } from "./table";
import type { StackStatus } from "./workspace";

export interface StudentReport {
  id: string;
  expires?: string;
  status: StackStatus;
  outputs: Record<string, unknown>;
}

/** One word for where a cluster stands, from its stack's last update. */
export function clusterState(status: StackStatus): string {
  if (!status.exists) return "no stack";
  const result = status.lastUpdate?.result;
  if (result === "in-progress") return "updating";
  if (result === "failed") return `${status.lastUpdate?.kind} failed`;
  if ((status.resourceCount ?? 0) === 0) return "empty";
  return "up";
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** "hostname web:8080 http://…; counter …": every published port of every stack. */
function stacksCell(stacks: unknown): string {
  return Object.entries(stackUrls(stacks))
    .flatMap(([stack, urls]) =>
      Object.entries(urls).map(([port, url]) => `${stack} ${port} ${url}`),
    )
    .join("; ");
}

export function renderOutputs(reports: readonly StudentReport[], format: "md" | "csv"): string {
  const headers = ["student", "manager IP", "ssh command", "registry", "stacks", "state"];
  // `registry` is empty until the registry step of the program exports it; `stacks` lists the
  // published ports only (admin UIs are reached through SSH unless the teacher publishes them).
  const rows = reports.map((r) => [
    r.id,
    text(r.outputs.managerPublicIp),
    text(r.outputs.sshCommand),
    text(r.outputs.registry),
    stacksCell(r.outputs.stacks),
    clusterState(r.status),
  ]);
  return format === "csv" ? csvTable(headers, rows) : `${markdownTable(headers, rows)}\n`;
}

/** "2026-11-23 14:05", local time: what a teacher compares with the clock on the wall. */
export function localTime(date: Date | undefined): string {
  if (date === undefined) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

export function renderStatus(reports: readonly StudentReport[], today: string): string {
  const headers = ["student", "stack", "resources", "last update", "when", "result", "expires"];
  const rows = reports.map((r) => {
    const last = r.status.lastUpdate;
    const expired = isExpired(r.expires, today) && r.status.exists;
    return [
      r.id,
      r.status.exists ? "yes" : "no",
      r.status.exists ? String(r.status.resourceCount ?? 0) : "",
      last?.kind ?? "",
      localTime(last?.endTime ?? last?.startTime),
      last?.result ?? "",
      `${r.expires ?? ""}${expired ? " EXPIRED" : ""}`,
    ];
  });
  const expired = reports.filter((r) => isExpired(r.expires, today) && r.status.exists);
  const note =
    expired.length === 0
      ? ""
      : `\n${expired.length} expired: ${expired.map((r) => r.id).join(", ")}; ` +
        "`npm run class -- destroy --expired` removes just those.\n";
  return `${markdownTable(headers, rows)}\n${note}`;
}
