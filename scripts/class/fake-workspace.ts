/**
 * An in-memory ClassWorkspace: each operation takes a fixed delay, stacks remember whether they
 * were brought up, and chosen students fail. For the unit tests and the benchmark, where the
 * Pulumi CLI cannot run. Counts how many operations run at once.
 */
import { generateKeyPairSync } from "node:crypto";
import { fingerprintOfPublicKeyLine } from "../../infra/swarm/host-key-check";
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

/**
 * A fresh ed25519 public key line (`ssh-ed25519 AAAA...`), as sshd's .pub file holds it: the
 * SSH wire blob is the algorithm name and the 32-byte key, each after its uint32 length.
 */
function ed25519PublicKeyLine(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
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
  /** Per student: the key manager-0 was pinned with, and the key it shows now. */
  private readonly hostKeyLines = new Map<string, { pinned: string; shown: string }>();

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

  private ipOf(id: string): string {
    return `203.0.113.${10 + [...this.resources.keys()].indexOf(id)}`;
  }

  private keysOf(id: string): { pinned: string; shown: string } {
    let keys = this.hostKeyLines.get(id);
    if (!keys) {
      const line = ed25519PublicKeyLine();
      keys = { pinned: line, shown: line };
      this.hostKeyLines.set(id, keys);
    }
    return keys;
  }

  /** The public key line manager-0 of `id` was pinned with (what its sshd's .pub file holds). */
  pinnedHostKey(id: string): string {
    return this.keysOf(id).pinned;
  }

  /** manager-0 of `id` re-keyed under the same pin: it now shows another host key. */
  rekeyManager0(id: string): void {
    this.keysOf(id).shown = ed25519PublicKeyLine();
  }

  /** What the SSH handshake with a fake manager-0 shows; nothing answers at other addresses. */
  async hostKey(address: string): Promise<string> {
    const id = [...this.resources.keys()].find(
      (candidate) => (this.resources.get(candidate) ?? 0) > 0 && this.ipOf(candidate) === address,
    );
    if (id === undefined) throw new Error(`${address}:22 showed no SSH host key: no answer`);
    return this.keysOf(id).shown;
  }

  async outputs(id: string): Promise<Record<string, unknown>> {
    if ((this.resources.get(id) ?? 0) === 0) return {};
    return {
      managerPublicIp: this.ipOf(id),
      sshCommand: `ssh -i ${id}.pem ubuntu@…`,
    };
  }

  /** Secrets that name their student, so a test can tell whose material a bundle holds. */
  async secretOutputs(id: string): Promise<Record<string, unknown>> {
    if ((this.resources.get(id) ?? 0) === 0) return {};
    const ip = this.ipOf(id);
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
      overlayMtu: 1450,
      // As HostKeyPin records it: manager-0's fingerprint by its floating IP.
      hostKeys: {
        [ip]: {
          server: `${id}-manager-0`,
          fingerprint: fingerprintOfPublicKeyLine(this.pinnedHostKey(id)),
          pin: `urn:pulumi:${id}::swarmlab::pulumi-nodejs:dynamic:Resource::${id}-manager-0-host-key`,
        },
      },
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
