/**
 * The slots of local stacks that share one machine's Docker engine: slot k is the subnet
 * 10.42.k.0/24 and the port offset 100 × k (slot 0 is the defaults). `class init` hands them out
 * to a local class (scripts/class/local-class.ts) and the engine pre-flight suggests the first
 * free one (infra/local/engine-*-check.ts), so a teacher and a student see the same numbers.
 * Pure; config/ because both sides import it.
 */

/** Offsets go in steps of this: far more than the SSH ports of 7 managers span. */
export const LOCAL_PORT_OFFSET_STEP = 100;
/** 10.42.0.0/24 to 10.42.255.0/24. */
export const LOCAL_SUBNET_SLOTS = 256;

/** Slot `k`'s subnet: 10.42.k.0/24. */
export function localSubnetSlot(k: number): string {
  return `10.42.${k}.0/24`;
}

/** Slot `k`'s port offset: 100 × k. */
export function localPortOffsetSlot(k: number): number {
  return LOCAL_PORT_OFFSET_STEP * k;
}
