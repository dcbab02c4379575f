/**
 * A `swarmlab:` key the program does not read is a typo until proven otherwise: Pulumi passes
 * every key of the stack to the program and says nothing of the ones it never reads, so
 * `swarmlab:storagedriver: btrfs` silently deployed overlay2 (issue 21). Such keys are refused at
 * preview, naming the nearest known key.
 */
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey } from "./keys";

/** Edit distance (insert, delete, substitute one character), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/**
 * The known key nearest to `key`: the one key it begins (a shortened name, `bootTimeout`), else
 * the nearest by edit distance if near enough to be a slip (at most a third of the key's
 * letters, and at least 2, different); ties go to the key declared first.
 */
export function nearestConfigKey(key: string): ConfigKey | undefined {
  const lower = key.toLowerCase();
  const extended = CONFIG_KEYS.filter((known) => known.toLowerCase().startsWith(lower));
  if (lower.length >= 4 && extended.length === 1) return extended[0];
  let best: { key: ConfigKey; distance: number } | undefined;
  for (const known of CONFIG_KEYS) {
    const distance = editDistance(key, known);
    if (best === undefined || distance < best.distance) best = { key: known, distance };
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && best.distance <= limit ? best.key : undefined;
}

/** Why `key` (set in the namespace, unknown to swarmlab) is refused, with the fix. */
export function unknownKeyReason(key: string): string {
  const ns = CONFIG_NAMESPACE;
  const nearest = nearestConfigKey(key);
  const ignored = "is not a swarmlab setting, so it would be ignored";
  if (nearest !== undefined) {
    return (
      `${ignored}; did you mean ${ns}:${nearest}? Move the value there: ` +
      `\`pulumi config rm ${ns}:${key}\`, then \`pulumi config set ${ns}:${nearest} VALUE\` ` +
      "(or rename the key in Pulumi.<stack>.yaml)"
    );
  }
  return (
    `${ignored}; remove it (\`pulumi config rm ${ns}:${key}\`). The settings are ` +
    `${CONFIG_KEYS.join(", ")} (see Pulumi.yaml)`
  );
}
