/**
 * The small surface the class verbs need from Pulumi, one stack per student. The real one
 * (pulumi-workspace.ts) drives the Pulumi CLI through the Automation API; tests use a fake,
 * since the CLI cannot run on our machines.
 */

export const OPERATIONS = ["preview", "up", "destroy", "refresh"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Resource operations by kind as Pulumi counts them: { same: 5, create: 2 }. */
export type ChangeCounts = Readonly<Record<string, number>>;

export interface OperationOptions {
  /** Called with a short description of what the engine does now ("create alice-worker-1"). */
  onPhase?: (phase: string) => void;
  /**
   * Up and preview: read the stack's resources from the cloud first (`pulumi up --refresh`), the
   * way Pulumi learns that a server was deleted out of band. Default false.
   */
  refresh?: boolean;
}

export interface LastUpdate {
  kind: string;
  result: "succeeded" | "failed" | "in-progress" | "not-started";
  startTime: Date;
  endTime?: Date;
}

export interface StackStatus {
  exists: boolean;
  resourceCount?: number;
  lastUpdate?: LastUpdate;
}

export interface ClassWorkspace {
  preview(id: string, options?: OperationOptions): Promise<ChangeCounts>;
  up(id: string, options?: OperationOptions): Promise<ChangeCounts>;
  destroy(id: string, options?: OperationOptions): Promise<ChangeCounts>;
  refresh(id: string, options?: OperationOptions): Promise<ChangeCounts>;
  /** Cancels the stack's running operation the way Ctrl-C on `pulumi up` does: gracefully. */
  cancel(id: string): Promise<void>;
  /** The stack's outputs; secrets are not revealed. Empty when the stack has none. */
  outputs(id: string): Promise<Record<string, unknown>>;
  /**
   * The stack's outputs with secrets revealed, for that student's bundle only (never printed).
   * Empty when the stack has none.
   */
  secretOutputs(id: string): Promise<Record<string, unknown>>;
  status(id: string): Promise<StackStatus>;
  /**
   * The SSH host key (`ssh-ed25519 AAAA...`) the server at `address` shows now, for a bundle's
   * known_hosts (checked against its pin there). Optional: without it the class tool reads the
   * key in an SSH handshake itself (scripts/bundle/host-keys.ts); the fake workspace has its own.
   */
  hostKey?(address: string): Promise<string>;
}

/** True when nothing but "same" happened (or would happen). */
export function isNoChange(changes: ChangeCounts): boolean {
  return Object.entries(changes).every(([kind, count]) => kind === "same" || count === 0);
}
