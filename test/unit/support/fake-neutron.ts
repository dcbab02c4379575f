/**
 * A small Neutron security-group rule set, and the order in which the Pulumi engine applies a
 * change of a program's rules to it.
 *
 * Neutron: creating a rule identical to an existing one (same group, direction, ethertype,
 * protocol, port range and remote) fails with 409 SecurityGroupRuleExists
 * (neutron/db/securitygroups_db.py, `_check_for_duplicate_rules`); the description does not
 * count.
 *
 * The engine (pulumi/pulumi pkg/resource/deploy/step_generator.go): resources are visited in
 * program order; a new name is created, a changed one whose diff replaces it is either deleted
 * then created (deleteBeforeReplace) or created at once with the old one deleted at the end, and
 * names the program no longer declares are deleted at the end. A change of any rule argument
 * replaces it (openstack-schema.ts: all ForceNew).
 */
export interface NeutronRule {
  securityGroupId: string;
  direction: string;
  ethertype: string;
  protocol?: string;
  portRangeMin?: number;
  portRangeMax?: number;
  remoteGroupId?: string;
  remoteIpPrefix?: string;
  description?: string;
}

const identity = (rule: NeutronRule) =>
  JSON.stringify([
    rule.securityGroupId,
    rule.direction,
    rule.ethertype,
    rule.protocol ?? null,
    rule.portRangeMin ?? null,
    rule.portRangeMax ?? null,
    rule.remoteGroupId ?? null,
    rule.remoteIpPrefix ?? null,
  ]);

export class FakeNeutron {
  private readonly rules = new Map<string, NeutronRule>();
  private next = 1;

  create(rule: NeutronRule): string {
    if ([...this.rules.values()].some((r) => identity(r) === identity(rule))) {
      throw new Error(`409 SecurityGroupRuleExists: ${identity(rule)}`);
    }
    const id = `rule-${this.next++}`;
    this.rules.set(id, rule);
    return id;
  }

  delete(id: string): void {
    if (!this.rules.delete(id)) throw new Error(`404 no rule ${id}`);
  }

  list(): NeutronRule[] {
    return [...this.rules.values()];
  }
}

/** A rule as the program declares it: its Pulumi name, arguments and deleteBeforeReplace. */
export interface DeclaredRule {
  name: string;
  args: NeutronRule;
  deleteBeforeReplace: boolean;
}

/** What the engine holds: Pulumi name -> Neutron id and the arguments it was made with. */
export type RuleState = Map<string, { id: string; args: NeutronRule }>;

/** Applies `declared` over `state` the way the engine would; throws what Neutron throws. */
export function applyRules(
  neutron: FakeNeutron,
  state: RuleState,
  declared: DeclaredRule[],
): RuleState {
  const next: RuleState = new Map();
  const deleteAtEnd: string[] = [];
  for (const rule of declared) {
    const old = state.get(rule.name);
    if (old !== undefined && JSON.stringify(old.args) === JSON.stringify(rule.args)) {
      next.set(rule.name, old);
      continue;
    }
    if (old !== undefined && rule.deleteBeforeReplace) neutron.delete(old.id);
    else if (old !== undefined) deleteAtEnd.push(old.id);
    next.set(rule.name, { id: neutron.create(rule.args), args: rule.args });
  }
  for (const [name, old] of state) if (!next.has(name)) deleteAtEnd.push(old.id);
  for (const id of deleteAtEnd) neutron.delete(id);
  return next;
}
