/**
 * The one way the system test waits: poll a probe until it reports success or the deadline passes.
 * The failure names what was awaited and the last thing the probe saw, so a timeout is diagnosable
 * from the test output alone.
 */

export interface Probe<T> {
  /** Done: the value the caller waited for. */
  done: boolean;
  value?: T;
  /** What the probe saw this time; quoted in the timeout message. */
  observed?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

export interface Waited<T> {
  value: T;
  elapsedMs: number;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<Probe<T>>,
  options: WaitOptions,
): Promise<Waited<T>> {
  const started = Date.now();
  const intervalMs = options.intervalMs ?? 1000;
  let lastObserved = "nothing yet";
  for (;;) {
    try {
      const result = await probe();
      if (result.done) return { value: result.value as T, elapsedMs: Date.now() - started };
      if (result.observed !== undefined) lastObserved = result.observed;
    } catch (error) {
      lastObserved = `probe failed: ${(error as Error).message}`;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs) {
      throw new Error(
        `timed out after ${Math.round(elapsed / 1000)}s waiting for ${what}; last seen: ${lastObserved}`,
      );
    }
    await delay(Math.min(intervalMs, options.timeoutMs - elapsed));
  }
}

/** Pause between polls. Not a way to wait for something: use waitFor for that. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
