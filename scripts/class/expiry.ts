/**
 * Expiry: a roster may give the class, or one student, a last day (YYYY-MM-DD). A cluster is
 * expired from the day after: the date a teacher writes is the last day students may work.
 * Dates are compared as local calendar days, the way a teacher reads "until the 18th".
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real YYYY-MM-DD day (2026-02-30 is refused). */
export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

/** Today as YYYY-MM-DD in local time. */
export function localDay(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** ISO days compare correctly as strings. */
export function isExpired(expires: string | undefined, today: string): boolean {
  return expires !== undefined && today > expires;
}

/** The ids of the students whose clusters are past their last day. */
export function expiredIds(
  students: readonly { id: string; expires?: string }[],
  today: string,
): string[] {
  return students.filter((s) => isExpired(s.expires, today)).map((s) => s.id);
}
