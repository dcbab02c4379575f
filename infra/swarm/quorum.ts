/**
 * Manager-count changes that keep Raft quorum. Pure, so it is tested on its own and reused by the
 * guard resource (manager-guard.ts) that compares the change with the previous deployment.
 */

/** Managers a swarm of `managers` can lose and keep quorum: (N-1)/2. */
export function toleratedFailures(managers: number): number {
  return Math.floor((managers - 1) / 2);
}

/** The value of `swarmlab:confirmManagerRemoval` that accepts one risky change, e.g. "3->1". */
export function confirmationFor(previous: number, next: number): string {
  return `${previous}->${next}`;
}

/**
 * Why changing from `previous` to `next` managers in one update is refused, or undefined if it is
 * safe. Raising is always safe. Lowering by more managers than the current swarm tolerates losing
 * is refused: swarmlab demotes them one at a time before deleting their servers, but should one
 * demote fail midway the survivors may hold no majority and the swarm stops taking changes.
 */
export function managerChangeProblem(
  previous: number,
  next: number,
  confirmation?: string,
): string | undefined {
  if (next >= previous) return undefined;
  const removed = previous - next;
  const tolerated = toleratedFailures(previous);
  if (removed <= tolerated) return undefined;
  if (confirmation === confirmationFor(previous, next)) return undefined;

  const safeStep = previous - tolerated;
  const path =
    tolerated >= 2
      ? `lower it in steps, one \`pulumi up\` each, removing at most ${tolerated} at a time (${previous} -> ${safeStep % 2 === 1 ? safeStep : safeStep + 1} first)`
      : `no smaller odd count keeps a majority of ${previous} managers`;
  return (
    `goes from ${previous} to ${next}: removing ${removed} of ${previous} managers in one update ` +
    `can lose Raft quorum (${previous} managers tolerate losing ${tolerated}); ${path}. To accept ` +
    `the risk for this one update, also set \`pulumi config set swarmlab:confirmManagerRemoval ` +
    `${confirmationFor(previous, next)}\``
  );
}
