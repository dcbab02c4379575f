/**
 * A `pulumi preview --json` digest made from two runs of the program under mocks: the resources,
 * names, types and inputs are the program's own; what the engine and provider would decide is
 * played by a small table of the properties that force a replacement. The Pulumi CLI cannot run
 * here, so this is as close to a captured preview as our machines get.
 *
 * What it models, and why:
 * - a property in REPLACE_KEYS that changed replaces the resource (the provider's ForceNew; FACTS.md:
 *   a server's userData, image, keyPair, networks, configDrive; a command's triggers; a host-key
 *   pin's serverId);
 * - a replaced resource's id is unknown until it exists again, so an input holding that id changes
 *   too (mocks give each resource the id `<name>-id`);
 * - `replaceWith` replaces a resource along with its target;
 * - secrets are printed as "[secret]", as the JSON display does.
 */
import type { PreviewDigest, PreviewStep } from "../../../scripts/preview-summary/digest";
import type { RecordedResource } from "./program";

const REPLACE_KEYS: Record<string, readonly string[]> = {
  "openstack:compute/instance:Instance": [
    "userData",
    "imageName",
    "imageId",
    "keyPair",
    "networks",
    "configDrive",
  ],
  "command:remote:Command": ["triggers"],
  // The dynamic providers' own diffs: ManagerStep (infra/swarm/manager-step-provider.ts) replaces
  // on a change of triggers, HostKeyPin (host-key-pin-provider.ts) on a new serverId.
  "pulumi-nodejs:dynamic:Resource": ["triggers", "serverId"],
  "openstack:networking/port:Port": ["networkId"],
};

const SECRET_KEY = "4dabf18193072939515e22adb298388d";

export function urnOf(stack: string, r: Pick<RecordedResource, "type" | "name">): string {
  return `urn:pulumi:${stack}::swarmlab::${r.type}::${r.name}`;
}

export function previewDigest(
  stack: string,
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
): PreviewDigest {
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const old = new Map(before.map((r) => [key(r), r]));
  const changed = new Map<string, string[]>();
  const replaced = new Map<string, string[]>();

  for (const r of after) {
    const previous = old.get(key(r));
    if (!previous) continue;
    const keys = changedKeys(previous.inputs, r.inputs);
    if (keys.length > 0) changed.set(key(r), keys);
    const forcing = keys.filter((k) => REPLACE_KEYS[r.type]?.includes(k));
    if (forcing.length > 0) replaced.set(key(r), forcing);
  }
  // Replacements spread to what holds a replaced resource's id, and through replaceWith.
  for (let grew = true; grew;) {
    grew = false;
    const goneIds = [...replaced.keys()].map((k) => `${k.slice(k.lastIndexOf("::") + 2)}-id`);
    const replacedNames = new Set(
      [...replaced.keys()].map((k) => k.slice(k.lastIndexOf("::") + 2)),
    );
    for (const r of after) {
      if (!old.has(key(r)) || replaced.has(key(r))) continue;
      const viaId = Object.entries(r.inputs)
        .filter(([, v]) => goneIds.some((id) => JSON.stringify(v ?? null).includes(id)))
        .map(([k]) => k);
      const forcing = viaId.filter((k) => REPLACE_KEYS[r.type]?.includes(k));
      if (forcing.length > 0 || r.replaceWith.some((n) => replacedNames.has(n))) {
        replaced.set(key(r), forcing);
        grew = true;
      } else if (viaId.length > 0) {
        changed.set(key(r), [...new Set([...(changed.get(key(r)) ?? []), ...viaId])]);
      }
    }
  }

  const steps: PreviewStep[] = [];
  const counts: Record<string, number> = {};
  const count = (op: string) => (counts[op] = (counts[op] ?? 0) + 1);
  for (const r of after) {
    const previous = old.get(key(r));
    const urn = urnOf(stack, r);
    const newState = { urn, type: r.type, custom: !isComponent(r), inputs: masked(r.inputs) };
    if (!previous) {
      count("create");
      steps.push({ op: "create", urn, newState, detailedDiff: null });
      continue;
    }
    const oldState = { ...newState, id: `${r.name}-id`, inputs: masked(previous.inputs) };
    const reasons = replaced.get(key(r));
    const diffs = changed.get(key(r)) ?? [];
    if (reasons !== undefined) {
      count("replace");
      steps.push({
        op: "replace",
        urn,
        oldState,
        newState,
        replaceReasons: reasons,
        diffReasons: diffs,
        detailedDiff: Object.fromEntries(
          diffs.map((k) => [
            k,
            { kind: reasons.includes(k) ? "update-replace" : "update", inputDiff: false },
          ]),
        ),
      });
    } else if (diffs.length > 0) {
      count("update");
      steps.push({
        op: "update",
        urn,
        oldState,
        newState,
        diffReasons: diffs,
        detailedDiff: Object.fromEntries(
          diffs.map((k) => [k, { kind: "update", inputDiff: false }]),
        ),
      });
    } else {
      count("same");
      // The JSON display lists the root stack even when it is the same.
      if (r.type === "pulumi:pulumi:Stack") steps.push({ op: "same", urn, oldState, newState });
    }
  }
  // The JSON display always lists the root stack; the mocks do not record it.
  if (!after.some((r) => r.type === "pulumi:pulumi:Stack")) {
    const root = { type: "pulumi:pulumi:Stack", name: `swarmlab-${stack}` };
    const state = { urn: urnOf(stack, root), type: root.type, custom: false };
    steps.unshift({
      op: "same",
      urn: state.urn,
      oldState: state,
      newState: state,
      detailedDiff: null,
    });
  }
  const kept = new Set(after.map(key));
  for (const r of before.filter((b) => !kept.has(key(b)))) {
    count("delete");
    steps.push({
      op: "delete",
      urn: urnOf(stack, r),
      oldState: {
        urn: urnOf(stack, r),
        type: r.type,
        id: `${r.name}-id`,
        inputs: masked(r.inputs),
      },
      detailedDiff: null,
    });
  }
  return { steps, changeSummary: counts, duration: 1_500_000_000 };
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}

function isComponent(r: RecordedResource): boolean {
  return r.type.startsWith("swarmlab:") || r.type === "pulumi:pulumi:Stack";
}

function masked(value: unknown): Record<string, unknown> {
  return mask(value) as Record<string, unknown>;
}

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === "object") {
    if (SECRET_KEY in value) return "[secret]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  }
  return value;
}
