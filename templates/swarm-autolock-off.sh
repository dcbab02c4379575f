#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s` (lib.sh prepended by infra/swarm/remote-scripts.ts). Turns swarm
# autolock off: the state of `swarmlab:autolock: false`. Run when that state is declared, so a
# stack that had autolock on really unlocks (the Raft keys are no longer encrypted with an unlock
# key); on a swarm that never had it, it changes nothing. Prints nothing on stdout.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-autolock-off

main() {
  exec </dev/null
  as_root docker swarm update --autolock=false >/dev/null || die "turning swarm autolock off failed"
  log "swarm autolock is off"
}

main "$@"
