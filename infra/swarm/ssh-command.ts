/**
 * The `sshCommand` output: one line a student pastes to log in to manager-0. Pure, so its shell
 * is tested as text.
 */
import { shellQuote } from "./remote-scripts";

export interface SshCommandArgs {
  /** The Pulumi stack: the key is read from THIS stack, whichever stack is selected. */
  stack: string;
  sshUser: string;
  host: string;
  /** sshd's port when not 22 (the local cloud publishes each manager's on its own). */
  port?: number;
}

/**
 * `--stack` so that the line printed for alice reads alice's key even when carol's stack is
 * selected (a teacher's class loop leaves the last one selected). The key file is removed and
 * written under umask 077, so it is 0600 from its first byte (a file left 0644 by an earlier
 * run would otherwise keep its mode, and ssh refuses such a key).
 */
export function sshCommandLine(args: SshCommandArgs): string {
  const stack = shellQuote(args.stack);
  const keyFile = shellQuote(`${args.stack}.pem`);
  return (
    `(umask 077 && rm -f ${keyFile} && ` +
    `pulumi stack output --stack ${stack} --show-secrets sshPrivateKey > ${keyFile}) && ` +
    `ssh -i ${keyFile} ` +
    (args.port !== undefined && args.port !== 22 ? `-p ${args.port} ` : "") +
    shellQuote(`${args.sshUser}@${args.host}`)
  );
}
