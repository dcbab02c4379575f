/**
 * A local class: students with `swarmlab:cloud docker`, whose stacks all land on the one Docker
 * engine of the machine running the class tool. Each needs a bridge subnet (`cidr`) no other
 * stack's overlaps (Docker refuses the second: "Pool overlaps with other one on this address
 * space") and host ports on 127.0.0.1 (`localPortOffset`, local-ports.ts) no other stack listens
 * on, and together they must fit the machine's memory. Pure: the callers read files and
 * os.totalmem().
 */
import { cidrRange, parseIpv4Cidr } from "../../infra/config/cidr";
import { CONFIG_NAMESPACE } from "../../infra/config/keys";
import { HOST_RESERVE_GIB, type LocalHost, NODE_MEMORY_GIB } from "../../infra/config/local-cloud";
import { localHostPorts, MAX_LOCAL_PORT_OFFSET } from "../../infra/config/local-ports";
import {
  LOCAL_PORT_OFFSET_STEP,
  LOCAL_SUBNET_SLOTS,
  localPortOffsetSlot,
  localSubnetSlot,
} from "../../infra/config/local-slots";

export const LOCAL_KEYS = ["cidr", "localPortOffset"] as const;
export type LocalKey = (typeof LOCAL_KEYS)[number];

/** The k-th local student's offset is k × this (config/local-slots.ts). */
export const LOCAL_PORT_STEP = LOCAL_PORT_OFFSET_STEP;
/** How many slots each key has: 10.42.0.0/24 to 10.42.255.0/24; 0 to 60500 in steps of 100. */
export const LOCAL_SLOTS: Readonly<Record<LocalKey, number>> = {
  cidr: LOCAL_SUBNET_SLOTS,
  localPortOffset: Math.floor(MAX_LOCAL_PORT_OFFSET / LOCAL_PORT_STEP) + 1,
};
/** At most this many local students: the smaller of the two. */
export const MAX_LOCAL_STUDENTS = Math.min(LOCAL_SLOTS.cidr, LOCAL_SLOTS.localPortOffset);

/** The value of slot `k`: 10.42.k.0/24 and 100 × k. */
export function slotValue(key: LocalKey, k: number): string | number {
  return key === "cidr" ? localSubnetSlot(k) : localPortOffsetSlot(k);
}

/**
 * What one local student holds on the machine, as far as one key goes: the value, and the
 * addresses or host ports it stands for, worked out once (a class of 256 compares them often).
 * Values the program itself refuses (not a CIDR, not a whole number) hold nothing here: preview
 * says what is wrong with them.
 */
interface Holding {
  label: string;
  value: unknown;
  managers: number;
  range?: [number, number];
  ports?: Set<number>;
}

function holding(key: LocalKey, label: string, value: unknown, managers: number): Holding {
  const held: Holding = { label, value, managers };
  if (key === "cidr" && typeof value === "string") {
    const parsed = parseIpv4Cidr(value);
    if (parsed.ok) held.range = cidrRange(parsed.cidr);
  }
  if (key === "localPortOffset" && Number.isInteger(value)) {
    held.ports = new Set(localHostPorts(managers, value as number).map((p) => p.hostPort));
  }
  return held;
}

/** How `a` and `b` meet on one engine: undefined when they do not, else the words for it. */
function meeting(a: Holding, b: Holding): string | undefined {
  if (a.range !== undefined && b.range !== undefined) {
    const [[aStart, aEnd], [bStart, bEnd]] = [a.range, b.range];
    if (aStart > bEnd || bStart > aEnd) return undefined;
    return aStart === bStart && aEnd === bEnd ? "is the same subnet as" : "overlaps";
  }
  if (a.ports === undefined || b.ports === undefined) return undefined;
  const shared: number[] = [];
  for (const port of b.ports) if (a.ports.has(port)) shared.push(port);
  if (shared.length === 0) return undefined;
  return `shares port${shared.length === 1 ? "" : "s"} ${shared.join(", ")} on 127.0.0.1 with`;
}

/** The lowest free slot of `key` for a student with `managers`, or undefined when none is. */
function freeSlot(key: LocalKey, managers: number, held: readonly Holding[]): number | undefined {
  for (let k = 0; k < LOCAL_SLOTS[key]; k += 1) {
    const candidate = holding(key, "", slotValue(key, k), managers);
    if (!held.some((h) => meeting(candidate, h) !== undefined)) return k;
  }
  return undefined;
}

/** A local student as `class init` sees it: the roster's config and its stack file now. */
export interface SlotInput {
  readonly id: string;
  readonly managers: number;
  /** The roster's config for the student ("swarmlab:cidr" -> ...). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The `config:` of the student's stack file as it is ({} when there is none). */
  readonly file: Readonly<Record<string, unknown>>;
  /** What init wrote last time (.swarmlab-class/<id>.json). */
  readonly record: Readonly<Record<string, unknown>>;
}

export type SlotResult =
  { ok: true; values: Map<string, Record<string, unknown>> } | { ok: false; problems: string[] };

/**
 * Gives each local student without a cidr or localPortOffset of its own a value no other local
 * student holds: the lowest free slot k (10.42.k.0/24, 100 × k), in roster order. What a student
 * holds already keeps its place: a roster value, a hand-set value (left to the file), and a value
 * init wrote before (given again, so it stays in the record). So a second run changes nothing,
 * a student added at the end takes the next slot, and a removed student's slot is given to the
 * next one added, while the others keep theirs (a changed cidr or offset would replace a cluster).
 * Held values that meet each other (a roster value put on one init gave another student before,
 * two hand edits) are refused, naming both and where each is set.
 */
export function assignLocalSlots(students: readonly SlotInput[]): SlotResult {
  if (students.length > MAX_LOCAL_STUDENTS) {
    return {
      ok: false,
      problems: [
        `the roster has ${students.length} local students (swarmlab:cloud docker), but one ` +
          `machine's Docker engine holds at most ${MAX_LOCAL_STUDENTS} side by side: init gives ` +
          `each a cidr of its own from 10.42.0.0/24 to 10.42.255.0/24 (${LOCAL_SLOTS.cidr}) ` +
          `and a localPortOffset of its own in steps of ${LOCAL_PORT_STEP} up to ` +
          `${MAX_LOCAL_PORT_OFFSET} (${LOCAL_SLOTS.localPortOffset}); put the others on ` +
          "OpenStack (swarmlab.cloud: openstack in their entries) or on another machine",
      ],
    };
  }
  const values = new Map<string, Record<string, unknown>>(students.map((s) => [s.id, {}]));
  const problems: string[] = [];
  for (const key of LOCAL_KEYS) {
    const name = `${CONFIG_NAMESPACE}:${key}`;
    const held: Holding[] = [];
    const needing: SlotInput[] = [];
    for (const student of students) {
      const value = student.config[name] ?? student.file[name];
      if (value === undefined) {
        needing.push(student);
        continue;
      }
      const ours = !(name in student.config) && student.record[name] === student.file[name];
      const where =
        name in student.config
          ? "class.yaml"
          : `Pulumi.${student.id}.yaml, ${ours ? "written by init" : "set by hand"}`;
      const label = `${student.id}'s ${JSON.stringify(value)} (${where})`;
      const mine = holding(key, label, value, student.managers);
      const met = held.find((h) => meeting(mine, h) !== undefined);
      if (met !== undefined) {
        problems.push(
          `${key}: ${mine.label} ${meeting(mine, met) ?? ""} ${met.label}, on this machine's ` +
            "one Docker engine; change one in class.yaml, or in its stack file: set another " +
            "there, or delete a value init wrote to have init choose a free one",
        );
      }
      held.push(mine);
      if (ours) (values.get(student.id) ?? {})[name] = value;
    }
    for (const student of needing) {
      const k = freeSlot(key, student.managers, held);
      if (k === undefined) {
        problems.push(
          `${student.id}: no ${key} is left for it: the other local students hold all ` +
            `${LOCAL_SLOTS[key]} that init gives (or meet them); set one for ${student.id} in ` +
            "class.yaml, or free one",
        );
        continue;
      }
      const value = slotValue(key, k);
      held.push(holding(key, student.id, value, student.managers));
      (values.get(student.id) ?? {})[name] = value;
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

/** A local student of a roster that passed its checks, with where its cidr and offset come from. */
export interface LocalStudent {
  readonly id: string;
  /** `students[1] (bob)`, as roster messages name a student. */
  readonly label: string;
  readonly managers: number;
  readonly workers: number;
  /** Values the roster gives, and whether from the student's own entry or from `class:`. */
  readonly given: Partial<Record<LocalKey, { value: unknown; fromClass: boolean }>>;
}

const WHY: Record<LocalKey, string> = {
  cidr:
    "each local stack's bridge network needs a subnet no other network on this machine's one " +
    "Docker engine overlaps (Docker refuses the second)",
  localPortOffset:
    "every local stack publishes its ports on 127.0.0.1 of this one machine, and only one can " +
    "listen on a port",
};

const FIX: Record<LocalKey, string> = {
  cidr: "`class init` then gives each local student its own 10.42.k.0/24",
  localPortOffset: `\`class init\` then gives each local student its own, ${LOCAL_PORT_STEP} × k`,
};

/**
 * Local students whose roster values meet on the one engine: one line for a value the class
 * section gives to several, one per student whose own value meets an earlier one. Each says why
 * and how to fix it in class.yaml.
 */
export function localClashProblems(students: readonly LocalStudent[]): string[] {
  const lines: string[] = [];
  for (const key of LOCAL_KEYS) {
    const fromClass = students.filter((s) => s.given[key]?.fromClass === true);
    const holders: Holding[] = [];
    if (fromClass.length > 0) {
      const value = fromClass[0]?.given[key]?.value;
      const managers = Math.max(...fromClass.map((s) => s.managers));
      holders.push(holding(key, `class.swarmlab.${key}`, value, managers));
      if (fromClass.length > 1) {
        lines.push(
          `class.swarmlab.${key}: is ${JSON.stringify(value)} for each of the local students ` +
            `${fromClass.map((s) => s.id).join(", ")}: ${WHY[key]}; remove it from class: ` +
            `(${FIX[key]}), or give each student a different one in its own entry`,
        );
      }
    }
    for (const student of students) {
      const own = student.given[key];
      if (own === undefined || own.fromClass) continue;
      const mine = holding(key, student.label, own.value, student.managers);
      const met = holders.find((h) => meeting(mine, h) !== undefined);
      if (met !== undefined) {
        lines.push(
          `${student.label}.swarmlab.${key}: is ${JSON.stringify(own.value)}, which ` +
            `${meeting(mine, met) ?? ""} ${met.label} (${JSON.stringify(met.value)}): ` +
            `${WHY[key]}; remove it (${FIX[key]}) or choose one that meets no other`,
        );
      }
      holders.push(mine);
    }
  }
  return lines;
}

const GIB = 1024 ** 3;

/**
 * The class's local clusters together against the machine's memory, by the program's own
 * estimate (local-cloud.ts). A warning, not a refusal: each stack alone fits (the program
 * refuses one that does not), the figure is an estimate (idle nodes use about 300 MiB), a teacher
 * may bring the clusters up a few at a time, and a refused roster would block `class destroy`,
 * the verb that frees the memory.
 */
export function localMemoryWarning(
  students: readonly LocalStudent[],
  host: LocalHost,
): string | undefined {
  if (students.length < 2) return undefined;
  const nodes = students.reduce((sum, s) => sum + s.managers + s.workers, 0);
  const neededGib = nodes * NODE_MEMORY_GIB + HOST_RESERVE_GIB;
  const totalGib = host.totalMemoryBytes / GIB;
  if (neededGib <= totalGib) return undefined;
  return (
    `class: the ${students.length} local students (${students.map((s) => s.id).join(", ")}) ` +
    `make ${nodes} nodes on this machine's one Docker engine, about ${neededGib} GiB with all ` +
    `clusters up (${NODE_MEMORY_GIB} GiB a node, ${HOST_RESERVE_GIB} GiB for the machine ` +
    `itself), but it has ${totalGib.toFixed(1)} GiB: nodes would be killed for memory or the ` +
    "machine would swap; bring a few up at a time (`class up --only a,b`, `class destroy` " +
    "after), lower workers, or put some students on OpenStack"
  );
}
