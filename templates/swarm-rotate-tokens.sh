#!/usr/bin/env bash
# Run over SSH on a manager as `bash -s` (lib.sh prepended by infra/swarm/remote-scripts.ts). Rotates
# the worker and manager join tokens, so a token that leaked (or sits in old instance metadata)
# no longer admits nodes. Nodes already in the swarm are not affected. Prints nothing on stdout.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-rotate-tokens

main() {
  exec </dev/null
  local role
  for role in worker manager; do
    # -q prints the new token: discard it, the bootstrap script reads tokens when needed.
    as_root docker swarm join-token --rotate -q "$role" >/dev/null ||
      die "rotating the $role join token failed"
    log "rotated the $role join token"
  done
}

main "$@"
