/**
 * An in-memory ClassWorkspace: each operation takes a fixed delay, stacks remember whether they
 * were brought up, and chosen students fail. For the unit tests and the benchmark, where the
 * Pulumi CLI cannot run. Counts how many operations run at once.
 */
import type {
  ChangeCounts,
  ClassWorkspace,
  LastUpdate,
  OperationOptions,
  StackStatus,
} from "./workspace";

/** Resources of one default cluster (1 manager, 2 workers); the exact number does not matter. */
const RESOURCES = 24;

/** Existing resources stay the same; a new stack creates them. */
function upChanges(existing: number): ChangeCounts {
  return existing > 0 ? { same: existing } : { create: RESOURCES };
}

export interface FakeOptions {
  delayMs: number;
  /** Students whose next operations fail (remove an id to let the retry succeed). */
  failing?: Set<string>;
}

export class FakeClassWorkspace implements ClassWorkspace {
  active = 0;
  maxActive = 0;
  readonly calls: string[] = [];
  readonly resources = new Map<string, number>();
  readonly history = new Map<string, LastUpdate>();
  private readonly cancels = new Map<string, () => void>();

  constructor(private readonly options: FakeOptions) {}

  preview(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate("preview", id, options, upChanges);
  }

  up(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate("up", id, options, (n) => {
      this.resources.set(id, RESOURCES);
      return upChanges(n);
    });
  }

  destroy(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate("destroy", id, options, (n) => {
      this.resources.set(id, 0);
      const changes: ChangeCounts = n > 0 ? { delete: n } : {};
      return changes;
    });
  }

  refresh(id: string, options?: OperationOptions): Promise<ChangeCounts> {
    return this.operate("refresh", id, options, (n) => ({ same: n }));
  }

  async cancel(id: string): Promise<void> {
    this.cancels.get(id)?.();
  }

  async outputs(id: string): Promise<Record<string, unknown>> {
    if ((this.resources.get(id) ?? 0) === 0) return {};
    return {
      managerPublicIp: `203.0.113.${10 + [...this.resources.keys()].indexOf(id)}`,
      sshCommand: `ssh -i ${id}.pem ubuntu@…`,
    };
  }

  /** Secrets that name their student, so a test can tell whose material a bundle holds. */
  async secretOutputs(id: string): Promise<Record<string, unknown>> {
    if ((this.resources.get(id) ?? 0) === 0) return {};
    const ip = `203.0.113.${10 + [...this.resources.keys()].indexOf(id)}`;
    return {
      managerPublicIp: ip,
      sshUser: "ubuntu",
      sshPrivateKey: `SSH KEY of ${id}\n`,
      dockerHost: `tcp://${ip}:2376`,
      registry: `${ip}:5000`,
      registryInternal: "10.42.0.10:5000",
      registryUser: "swarmlab",
      registryPassword: `registry password of ${id}`,
      caCertificate: `CA of ${id}\n`,
      clientCertificate: `CLIENT CERT of ${id}\n`,
      clientKey: `CLIENT KEY of ${id}\n`,
      stacks: { web: { services: [], urls: { "web:80": `http://${ip}:8080` } } },
      stackSecrets: { mediawiki_db_password: `db password of ${id}` },
    };
  }

  async status(id: string): Promise<StackStatus> {
    const lastUpdate = this.history.get(id);
    return {
      exists: this.resources.has(id),
      ...(this.resources.has(id) ? { resourceCount: this.resources.get(id) } : {}),
      ...(lastUpdate ? { lastUpdate } : {}),
    };
  }

  private operate(
    kind: string,
    id: string,
    options: OperationOptions | undefined,
    finish: (resources: number) => ChangeCounts,
  ): Promise<ChangeCounts> {
    this.calls.push(`${kind} ${id}${options?.refresh ? " --refresh" : ""}`);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    options?.onPhase?.(`${kind} ${id}-manager-0`);
    const startTime = new Date();
    return new Promise<ChangeCounts>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.options.failing?.has(id)) {
          reject(
            new Error(`error: ${id}: creating server ${id}-worker-1: Quota exceeded for instances`),
          );
        } else {
          resolve(finish(this.resources.get(id) ?? 0));
        }
      }, this.options.delayMs);
      this.cancels.set(id, () => {
        clearTimeout(timer);
        reject(new Error(`error: update canceled`));
      });
    }).finally(() => {
      this.active -= 1;
      this.cancels.delete(id);
      if (kind !== "preview") {
        const failed = this.options.failing?.has(id) ?? false;
        this.history.set(id, {
          kind,
          result: failed ? "failed" : "succeeded",
          startTime,
          endTime: new Date(),
        });
      }
    });
  }
}
