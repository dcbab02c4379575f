/**
 * The class roster (`class.yaml`): class-wide defaults and one entry per student. `parseRoster`
 * is pure and lists every problem at once, like parseLabConfig does for one stack, so a teacher
 * fixes a 30-student roster in one pass. Each student's config is checked by the program's own
 * parseLabConfig, through the very stack file `class init` would write for them.
 */
import { totalmem } from "node:os";
import { parse } from "yaml";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../../infra/config/keys";
import type { LocalHost } from "../../infra/config/local-cloud";
import { OWNER_PATTERN } from "../../infra/config/validate";
import { isCalendarDate, isExpired } from "./expiry";
import {
  LOCAL_KEYS,
  type LocalStudent,
  localClashProblems,
  localMemoryWarning,
} from "./local-class";
import {
  CLASS_STAND_IN,
  type Checked,
  classWideProblems,
  masked,
  signature,
} from "./roster-class-wide";
import { checkStudentConfig } from "./roster-checks";
import { renderStackFile } from "./stack-file";

/** Provider settings a roster may set. Credentials stay in clouds.yaml or openrc, never here. */
export const OPENSTACK_KEYS = ["cloud", "region", "tenantName", "tenantId"] as const;
export type OpenStackKey = (typeof OPENSTACK_KEYS)[number];
export type ProjectRef = Partial<Record<OpenStackKey, string>>;

const CLASS_KEYS = ["expires", "openstack", "swarmlab"] as const;
const STUDENT_KEYS = ["id", ...CLASS_KEYS] as const;
const TOP_KEYS = ["class", "students"] as const;

export interface Student {
  /** Stack name, and the owner unless `swarmlab.owner` says otherwise. */
  readonly id: string;
  /** The stack file's config: "swarmlab:workers" -> 3, "openstack:cloud" -> "campus". */
  readonly config: Readonly<Record<string, unknown>>;
  /** Last day the cluster may exist (YYYY-MM-DD), the student's or else the class's. */
  readonly expires?: string;
  /** The OpenStack project the cluster lands in (for the quota check, grouped by this). */
  readonly project: ProjectRef;
  /** With swarmlab:cloud docker: the cluster's size, as the program reads it. */
  readonly local?: { readonly managers: number; readonly workers: number };
}

export interface Roster {
  readonly students: readonly Student[];
}

export type RosterResult =
  { ok: true; roster: Roster; warnings: string[] } | { ok: false; problems: string[] };

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A key other than the allowed ones is almost always a typo; say which keys exist. */
function unknownKeys(where: string, value: YamlMap, allowed: readonly string[]): string[] {
  return Object.keys(value)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${where}: unknown key "${key}"; known keys are ${allowed.join(", ")}`);
}

/** One section (class or student): its expires, openstack and swarmlab maps, checked for shape. */
interface Section {
  expires?: string;
  openstack: YamlMap;
  swarmlab: YamlMap;
}

function readSection(where: string, value: YamlMap, problems: string[]): Section {
  const section: Section = { openstack: {}, swarmlab: {} };
  if (value.expires !== undefined) {
    if (typeof value.expires === "string" && isCalendarDate(value.expires)) {
      section.expires = value.expires;
    } else {
      problems.push(
        `${where}.expires: is ${JSON.stringify(value.expires)}: write the last day as YYYY-MM-DD, e.g. 2026-12-18`,
      );
    }
  }
  for (const name of ["openstack", "swarmlab"] as const) {
    const map = value[name];
    if (map === undefined || map === null) continue;
    if (!isMap(map)) {
      problems.push(`${where}.${name}: must be a map of keys, e.g. ${name}: { … }`);
      continue;
    }
    const allowed: readonly string[] = name === "openstack" ? OPENSTACK_KEYS : CONFIG_KEYS;
    problems.push(...unknownKeys(`${where}.${name}`, map, allowed));
    for (const [key, item] of Object.entries(map)) {
      if (!allowed.includes(key)) continue;
      if (name === "openstack" && typeof item !== "string") {
        problems.push(`${where}.openstack.${key}: must be a string`);
      } else if (isMap(item) && "secure" in item) {
        problems.push(`${where}.${name}.${key}: is a secret; swarmlab has no secret settings`);
      } else {
        section[name][key] = item;
      }
    }
  }
  return section;
}

/** What the id must be: a stack name, a file name (Pulumi.<id>.yaml) and a default owner. */
function idProblem(where: string, id: unknown): string | undefined {
  if (typeof id !== "string" || id === "") {
    return `${where}.id: is missing; every student needs an id such as "alice"`;
  }
  if (OWNER_PATTERN.test(id)) return undefined;
  // Keep what the teacher wrote: a leading digit gets a letter before it ("3po" -> "s-3po"),
  // not cut away ("po" would be another student's name).
  const cleaned = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const suggestion = (/^[a-z]/.test(cleaned) ? cleaned : cleaned ? `s-${cleaned}` : "").slice(
    0,
    30,
  );
  return (
    `${where}.id: is ${JSON.stringify(id)}: it names the stack and the owner, so it must start ` +
    "with a letter and hold only a-z, 0-9 and -, at most 30 characters" +
    (suggestion ? ` (e.g. "${suggestion}")` : "")
  );
}

function projectKey(project: ProjectRef): string {
  return JSON.stringify(OPENSTACK_KEYS.map((key) => project[key] ?? ""));
}

/**
 * With `cloud` set, the provider builds its credentials from that clouds.yaml entry (and OS_*)
 * alone: gophercloud/utils terraform/auth/config.go (the version terraform-provider-openstack
 * v1.54.1 uses, lines 103-133) reads tenant_name/tenant_id only when no cloud is named, and an
 * application credential carries its own project anyway. So the cluster would silently land in
 * the entry's project. Refused, with the way that works.
 */
export function ignoredBesideCloud(project: ProjectRef): string | undefined {
  if (project.cloud === undefined) return undefined;
  const keys = (["tenantName", "tenantId"] as const).filter((k) => project[k] !== undefined);
  if (keys.length === 0) return undefined;
  return (
    `${keys.join(" and ")} ${keys.length === 1 ? "is" : "are"} set beside cloud "${project.cloud}": ` +
    "the OpenStack provider then reads only that clouds.yaml entry, so the cluster would be made " +
    "in the entry's project, not this one. Add a clouds.yaml entry scoped to this project " +
    "(auth: project_name, or an application credential made in it) and name it in cloud instead"
  );
}

/** Turns the class and student sections into the student's stack file config. */
function studentConfig(classSection: Section, own: Section): YamlMap {
  const config: YamlMap = {};
  // Student values replace class values key by key; lists and maps are replaced, not merged.
  for (const name of ["openstack", "swarmlab"] as const) {
    for (const [key, value] of Object.entries({ ...classSection[name], ...own[name] })) {
      config[`${name}:${key}`] = value;
    }
  }
  return config;
}

/** Parses and checks a roster. `source` names the file in messages. */
export function parseRoster(
  text: string,
  source = "class.yaml",
  /** Today as YYYY-MM-DD (expiry.ts localDay): a last day before it is said at once. */
  today?: string,
  /** The machine a local class's clusters share (its memory); by default this one. */
  host: LocalHost = { totalMemoryBytes: totalmem() },
): RosterResult {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return { ok: false, problems: [`${source}: is not valid YAML: ${(error as Error).message}`] };
  }
  if (!isMap(document)) {
    return { ok: false, problems: [`${source}: must be a map with "class" and "students"`] };
  }
  const problems: string[] = unknownKeys(source, document, TOP_KEYS);
  // The program's warnings by student, said once for the class when the class section has them.
  const studentWarnings: { id: string; label: string; text: string; program: boolean }[] = [];
  const classExpiredStudents: string[] = [];

  const classValue = document.class ?? {};
  if (!isMap(classValue)) problems.push(`${source}: class: must be a map`);
  const classMap = isMap(classValue) ? classValue : {};
  problems.push(...unknownKeys("class", classMap, CLASS_KEYS));
  const classSection = readSection("class", classMap, problems);

  const entries = document.students;
  if (!Array.isArray(entries) || entries.length === 0) {
    problems.push(`${source}: students: list at least one student, e.g. "- id: alice"`);
    return { ok: false, problems };
  }

  const students: Student[] = [];
  const firstById = new Map<string, string>();
  const firstByOwner = new Map<string, string>();
  // Per student, in roster order: its own problems, and the config check of its stack file,
  // kept apart so that a problem coming from the class section is said once, not per student.
  const perStudent: { lines: string[]; checked?: Checked }[] = [];
  // The students on the local cloud: they share this machine's Docker engine (local-class.ts).
  const locals: LocalStudent[] = [];
  entries.forEach((entry: unknown, index) => {
    const lines: string[] = [];
    const checked = checkEntry(entry, index, lines);
    perStudent.push({ lines, ...(checked !== undefined ? { checked } : {}) });
  });

  function checkEntry(entry: unknown, index: number, lines: string[]): Checked | undefined {
    // A bare name is the short form of { id: name }: most students need nothing else.
    const map: YamlMap = typeof entry === "string" ? { id: entry } : isMap(entry) ? entry : {};
    const where = `students[${index}]`;
    if (typeof entry !== "string" && !isMap(entry)) {
      lines.push(`${where}: must be an id or a map with "id"`);
      return undefined;
    }
    const id = map.id;
    const badId = idProblem(where, id);
    if (badId !== undefined) lines.push(badId);
    const label = typeof id === "string" && id !== "" ? `${where} (${id})` : where;
    lines.push(...unknownKeys(label, map, STUDENT_KEYS));
    const own = readSection(label, map, lines);
    if (badId !== undefined || typeof id !== "string") return undefined;

    const earlier = firstById.get(id);
    if (earlier !== undefined) {
      lines.push(
        `${where}.id: "${id}" is already the id of ${earlier}; ids name stacks, so they must differ`,
      );
      return undefined;
    }
    firstById.set(id, where);

    const config = studentConfig(classSection, own);
    const project: ProjectRef = {};
    for (const key of OPENSTACK_KEYS) {
      const value = config[`openstack:${key}`];
      if (typeof value === "string") project[key] = value;
    }
    const ignored = ignoredBesideCloud(project);
    if (ignored !== undefined) lines.push(`${label}.openstack: ${ignored}`);

    // Every OpenStack name carries the owner: two equal owners in one project would collide.
    // Checked whatever else is wrong with the student (the owner is the setting or the id, as
    // validate.ts derives it), so one pass shows every problem.
    const ownerSetting = config[`${CONFIG_NAMESPACE}:owner`];
    const owner = typeof ownerSetting === "string" && ownerSetting !== "" ? ownerSetting : id;
    const ownerKey = `${projectKey(project)} ${owner.toLowerCase()}`;
    const sameOwner = firstByOwner.get(ownerKey);
    if (sameOwner !== undefined) {
      lines.push(
        `${label}: owner "${owner}" is also the owner of ${sameOwner} in the same ` +
          "OpenStack project, so their resource names would collide; give one another swarmlab.owner",
      );
    } else {
      firstByOwner.set(ownerKey, label);
    }

    // Checked as `pulumi preview` of the stack file init would write checks it.
    const swarmlab = { ...classSection.swarmlab, ...own.swarmlab };
    const parsed = checkStudentConfig(
      renderStackFile(undefined, config).text,
      source,
      id,
      swarmlab,
      host,
    );
    const checked: Checked = {
      id,
      label,
      ownKeys: new Set(Object.keys(own.swarmlab)),
      problems: parsed.ok ? [] : parsed.problems,
    };
    if (!parsed.ok) return checked;
    const local =
      parsed.config.cloud === "docker"
        ? { managers: parsed.config.managers, workers: parsed.config.workers }
        : undefined;
    if (local !== undefined) {
      const given: LocalStudent["given"] = {};
      for (const key of LOCAL_KEYS) {
        const value = swarmlab[key];
        if (value !== undefined) given[key] = { value, fromClass: !(key in own.swarmlab) };
      }
      locals.push({ id, label, ...local, given });
    }
    for (const text of parsed.warnings) studentWarnings.push({ id, label, text, program: true });
    if (sameOwner !== undefined) return checked;

    const expires = own.expires ?? classSection.expires;
    if (expires !== undefined && today !== undefined && isExpired(expires, today)) {
      // The class's last day is said once, for the class (below).
      if (own.expires === undefined) {
        classExpiredStudents.push(id);
      } else {
        studentWarnings.push({
          id,
          label,
          program: false,
          text:
            `its last day ${expires} is already past (today is ${today}): ` +
            "`class destroy --expired` destroys this cluster; change expires if that is not meant",
        });
      }
    }
    students.push({
      id,
      config,
      project,
      ...(expires !== undefined ? { expires } : {}),
      ...(local !== undefined ? { local } : {}),
    });
    return checked;
  }

  const classAlone = checkStudentConfig(
    renderStackFile(undefined, studentConfig(classSection, { openstack: {}, swarmlab: {} })).text,
    source,
    CLASS_STAND_IN,
    classSection.swarmlab,
    host,
  );
  const classWide = classWideProblems(
    perStudent.flatMap((s) => (s.checked !== undefined ? [s.checked] : [])),
    classAlone.ok ? [] : classAlone.problems,
  );
  problems.push(...classWide.lines, ...localClashProblems(locals));
  for (const { lines, checked } of perStudent) {
    problems.push(...lines);
    for (const problem of checked?.problems ?? []) {
      const own = problem.key !== undefined && checked?.ownKeys.has(problem.key) === true;
      if (!own && classWide.signatures.has(signature(problem, checked?.id ?? ""))) continue;
      problems.push(
        problem.key !== undefined
          ? `${checked?.label}.swarmlab.${problem.key}: ${problem.reason}`
          : `${checked?.label}: ${problem.reason}`,
      );
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  const ofClass = new Set(
    (classAlone.ok ? classAlone.warnings : []).map((w) => masked(w, CLASS_STAND_IN)),
  );
  const classWarnings = new Set<string>();
  const ownWarnings: string[] = [];
  for (const { id, label, text, program } of studentWarnings) {
    if (program && ofClass.has(masked(text, id))) classWarnings.add(masked(text, id));
    else ownWarnings.push(`${label}: ${program ? `${CONFIG_NAMESPACE}:` : ""}${text}`);
  }
  if (classExpiredStudents.length > 0) {
    ownWarnings.unshift(
      `class.expires: the class's last day ${classSection.expires} is already past (today is ` +
        `${today}): \`class destroy --expired\` destroys the clusters of ` +
        `${classExpiredStudents.join(", ")}; change expires if that is not meant`,
    );
  }
  const memory = localMemoryWarning(locals, host);
  const warnings = [
    ...[...classWarnings].map((w) => `class: ${CONFIG_NAMESPACE}:${w}`),
    ...ownWarnings,
    ...(memory !== undefined ? [memory] : []),
  ];
  return { ok: true, roster: { students }, warnings };
}

/** Formats problems for the terminal: a count, then one line each. */
export function formatProblems(source: string, problems: readonly string[]): string {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return `${source} has ${count}; nothing was changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}
