/**
 * The real ClassWorkspace: the Pulumi Automation API over this project folder (Pulumi.yaml and
 * the Pulumi.<id>.yaml files `class init` wrote), one stack per student. Needs the Pulumi CLI on
 * PATH and a backend (`pulumi login`), like `pulumi up` itself.
 */
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { ChangeCounts, ClassWorkspace, OperationOptions, StackStatus } from "./workspace";

/**
 * The class policy pack and the teacher's settings of it, as CI passes them to `pulumi preview`
 * (`--policy-pack policy --policy-pack-config policy/config.json`). The Automation API turns
 * `policyPacks`/`policyPackConfigs` into those same flags for up and preview only
 * (@pulumi/pulumi automation/stack.js; pulumi/pulumi sdk/nodejs/automation/stack.ts): the CLI
 * has no policy run on destroy or refresh.
 */
export function policyOptions(workDir: string): {
  policyPacks: string[];
  policyPackConfigs: string[];
} {
  const pack = path.resolve(workDir, "policy");
  return { policyPacks: [pack], policyPackConfigs: [path.join(pack, "config.json")] };
}

export class PulumiClassWorkspace implements ClassWorkspace {
  private readonly controllers = new Map<string, AbortController>();
  private summaries?: Promise<Map<string, { lastUpdate?: string; resourceCount?: number }>>;

  constructor(
    private readonly workDir: string,
    /**
     * When Ctrl-C comes from the terminal, the pulumi processes (same process group) got it too
     * and are already cancelling; a second SIGINT would make them terminate at once, leaving
     * pending operations in the state. Then cancel() only waits.
     */
    private readonly terminalInterrupted: () => boolean = () => false,
  ) {}

  preview(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate(id, "create", options, (stack, run) =>
      stack.preview(this.checkedRun(run, options)).then((result) => result.changeSummary),
    );
  }

  up(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate(id, "create", options, (stack, run) =>
      stack
        .up(this.checkedRun(run, options))
        .then((result) => result.summary.resourceChanges ?? {}),
    );
  }

  /** Up and preview: with the class policy pack, as in CI, and `--refresh` when asked. */
  private checkedRun<T extends object>(run: T, options: OperationOptions | undefined) {
    return {
      ...run,
      ...policyOptions(this.workDir),
      ...(options?.refresh ? { refresh: true } : {}),
    };
  }

  destroy(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate(id, "existing", options, (stack, run) =>
      stack.destroy(run).then((result) => result.summary.resourceChanges ?? {}),
    );
  }

  refresh(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate(id, "existing", options, (stack, run) =>
      stack.refresh(run).then((result) => result.summary.resourceChanges ?? {}),
    );
  }

  async cancel(id: string): Promise<void> {
    // The AbortSignal sends SIGINT to `pulumi`: the graceful cancel of Ctrl-C, which lets
    // in-flight resource operations finish and saves the state. (`pulumi cancel` would instead
    // mark the update done without stopping it: the dangerous one.)
    if (!this.terminalInterrupted()) this.controllers.get(id)?.abort();
  }

  async outputs(id: string): Promise<Record<string, unknown>> {
    if (!(await this.status(id)).exists) return {};
    const outputs = await (await this.stack(id, false)).outputs();
    return Object.fromEntries(
      Object.entries(outputs).map(([key, output]) => [
        key,
        output.secret ? "[secret]" : output.value,
      ]),
    );
  }

  /**
   * `Stack.outputs()` runs `pulumi stack output --json --show-secrets` (and once more without,
   * to mark which are secret): the values here are the real ones.
   */
  async secretOutputs(id: string): Promise<Record<string, unknown>> {
    if (!(await this.status(id)).exists) return {};
    const outputs = await (await this.stack(id, false)).outputs();
    return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
  }

  async status(id: string): Promise<StackStatus> {
    const summary = (await this.stackSummaries()).get(id);
    if (summary === undefined) return { exists: false };
    const [last] = await (await this.stack(id, false)).history(1);
    return {
      exists: true,
      ...(summary.resourceCount !== undefined ? { resourceCount: summary.resourceCount } : {}),
      ...(last
        ? {
            lastUpdate: {
              kind: last.kind,
              result: last.result,
              startTime: new Date(last.startTime),
              ...(last.endTime ? { endTime: new Date(last.endTime) } : {}),
            },
          }
        : {}),
    };
  }

  private stack(id: string, create: boolean): Promise<Stack> {
    const args = { stackName: id, workDir: this.workDir };
    return create ? LocalWorkspace.createOrSelectStack(args) : LocalWorkspace.selectStack(args);
  }

  /** One `pulumi stack ls` for the whole class rather than one per student. */
  private stackSummaries() {
    this.summaries ??= LocalWorkspace.create({ workDir: this.workDir })
      .then((workspace) => workspace.listStacks())
      .then((list) => new Map(list.map((s) => [s.name, s])));
    return this.summaries;
  }

  /**
   * Selects (or for preview and up creates) the stack and runs one operation on it with an
   * AbortSignal cancel() can fire. Destroy and refresh of a stack that does not exist: nothing.
   */
  private async operate(
    id: string,
    which: "create" | "existing",
    options: OperationOptions | undefined,
    run: (
      stack: Stack,
      opts: { signal: AbortSignal; onEvent: (e: EngineEvent) => void },
    ) => Promise<ChangeCounts>,
  ): Promise<ChangeCounts> {
    if (which === "existing" && !(await this.status(id)).exists) return {};
    const stack = await this.stack(id, which === "create");
    const controller = new AbortController();
    this.controllers.set(id, controller);
    try {
      return await run(stack, { signal: controller.signal, onEvent: phaseListener(options) });
    } catch (error) {
      throw new Error(pulumiErrorText(error));
    } finally {
      this.controllers.delete(id);
    }
  }
}

/** "create alice-worker-1" from the engine's resource events, for the live display. */
function phaseListener(options: OperationOptions | undefined) {
  return (event: EngineEvent) => {
    const metadata = event.resourcePreEvent?.metadata;
    if (metadata && metadata.op !== "same") {
      options?.onPhase?.(`${metadata.op} ${metadata.urn.split("::").pop() ?? ""}`);
    }
  };
}

/** A CommandError carries the whole stdout; the `error:` lines are what a teacher needs. */
export function pulumiErrorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const errors = text.split("\n").filter((line) => /^\s*error:/.test(line));
  return errors.length > 0 ? [...new Set(errors.map((l) => l.trim()))].join("\n") : text;
}
