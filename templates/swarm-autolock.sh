#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s` (lib.sh prepended by infra/swarm/remote-scripts.ts). Turns on
# swarm autolock: the managers' Raft keys are then encrypted at rest, and a manager that restarts
# stays locked until someone runs `docker swarm unlock` with the key. Prints the unlock key, alone
# on the last line of stdout (the Pulumi program keeps it as a secret output); nothing else.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-autolock

main() {
  exec </dev/null
  # Idempotent: enabling it again keeps the existing key.
  as_root docker swarm update --autolock=true >/dev/null || die "enabling swarm autolock failed"
  local key
  key=$(as_root docker swarm unlock-key -q) || die "reading the swarm unlock key failed"
  [[ $key == SWMKEY-1-* ]] || die "docker swarm unlock-key did not print an unlock key"
  log "swarm autolock is on; the unlock key is in the stack output swarmUnlockKey"
  printf '%s\n' "$key"
}

main "$@"
