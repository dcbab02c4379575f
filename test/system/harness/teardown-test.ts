/**
 * The last test of every scenario: closing the lab removes everything the run made. Registered
 * as a test of its own so a leak fails the suite, not just a log line.
 */
import { remainingResources } from "./cleanup";
import { docker } from "./docker";
import type { Lab } from "./lab";

const TEARDOWN_TIMEOUT_MS = 5 * 60_000;

export function testTeardownLeavesNothing(lab: () => Lab): void {
  test(
    "teardown leaves no container, volume, network or loop device behind",
    async () => {
      await lab().close();
      expect(await remainingResources(lab().run)).toEqual({
        containers: [],
        volumes: [],
        networks: [],
        loopDevices: [],
      });
      // Also by name, in case a resource lost its run label.
      expect((await docker(["network", "inspect", lab().network.name])).exitCode).not.toBe(0);
    },
    TEARDOWN_TIMEOUT_MS,
  );
}
