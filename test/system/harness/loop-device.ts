/**
 * A "Cinder volume": a sparse file attached to a loop device, handed to a node as /dev/vdb.
 * Backing files live in the run's directory, which is how cleanup finds a crashed run's devices.
 */
import { join } from "node:path";
import { run, runOk } from "./process";
import { RunContext } from "./run-context";

export interface LoopDevice {
  /** e.g. /dev/loop3 */
  device: string;
  backingFile: string;
}

export async function attachLoopDevice(
  runContext: RunContext,
  name: string,
  sizeGiB: number,
): Promise<LoopDevice> {
  const backingFile = join(runContext.dir, `${name}.img`);
  await runOk("truncate", ["-s", `${sizeGiB}G`, backingFile]);
  const device = (await runOk("losetup", ["--find", "--show", backingFile])).trim();
  return { device, backingFile };
}

/** Detaches every loop device whose backing file is inside `dir`; returns their names. */
export async function detachLoopDevicesUnder(dir: string): Promise<string[]> {
  const devices = await loopDevicesUnder(dir);
  for (const device of devices) await runOk("losetup", ["--detach", device]);
  return devices;
}

/** Loop devices currently backed by a file inside `dir` (teardown asserts there are none). */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const listed = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
  if (listed.exitCode !== 0 || listed.stdout.trim() === "") return [];
  const { loopdevices } = JSON.parse(listed.stdout) as {
    loopdevices: { name: string; "back-file": string | null }[];
  };
  // losetup may suffix a deleted backing file with " (deleted)"; the prefix still matches.
  return loopdevices
    .filter((loop) => (loop["back-file"] ?? "").startsWith(`${dir}/`))
    .map((loop) => loop.name);
}
