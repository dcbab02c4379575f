#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s -- [TIMEOUT_SECONDS]` (lib.sh is prepended to stdin by
# infra/swarm/remote-scripts.ts). Waits for cloud-init to finish and the swarm to be active, then prints
# the join tokens as ONE line of JSON on stdout, and nothing else there:
#   {"worker":"SWMTKN-...","manager":"SWMTKN-...","joinAddr":"10.42.0.5:2377"}
# Progress and errors go to stderr. The caller must treat stdout as a secret.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-bootstrap

TOKEN_PATTERN='^SWMTKN-[A-Za-z0-9-]+$'
ADDR_PATTERN='^[0-9A-Za-z.:-]+:[0-9]+$'

report_cloud_init_failure() {
  log "cloud-init status:"
  as_root cloud-init status --long >&2 || true
  log "last lines of /var/log/cloud-init-output.log:"
  as_root tail -n 40 /var/log/cloud-init-output.log >&2 || true
}

wait_for_cloud_init() {
  local seconds=$1 status=0
  log "waiting up to ${seconds}s for cloud-init to finish"
  as_root timeout "$seconds" cloud-init status --wait >/dev/null || status=$?
  case "$status" in
  0) log "cloud-init finished" ;;
  # cloud-init >= 23.4 exits 2 for recoverable errors (e.g. deprecated keys in the image's own
  # config); the swarm check below decides whether the node is usable.
  2)
    log "WARNING: cloud-init finished with recoverable errors"
    report_cloud_init_failure
    ;;
  124)
    report_cloud_init_failure
    die "cloud-init did not finish within ${seconds}s"
    ;;
  *)
    report_cloud_init_failure
    die "cloud-init failed (cloud-init status exit ${status})"
    ;;
  esac
}

swarm_active() {
  [ "$(docker_probe info --format '{{.Swarm.LocalNodeState}}:{{.Swarm.ControlAvailable}}' 2>/dev/null)" = "active:true" ]
}

main() {
  # Children must not read the rest of the script from our stdin.
  exec </dev/null
  local timeout_seconds=${1:-600} started remaining worker manager join_addr
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "timeout '$timeout_seconds' is not a number of seconds"
  started=$(date +%s)
  wait_for_cloud_init "$timeout_seconds"
  remaining=$((timeout_seconds - ($(date +%s) - started)))
  ((remaining > 0)) || remaining=1
  wait_until "$remaining" "the swarm to be active on this manager" swarm_active ||
    die "the swarm is not active on this node; see /var/log/cloud-init-output.log (swarm-up)"
  worker=$(docker_probe swarm join-token -q worker)
  manager=$(docker_probe swarm join-token -q manager)
  join_addr=$(docker_probe node inspect self --format '{{.ManagerStatus.Addr}}')
  [[ "$worker" =~ $TOKEN_PATTERN ]] || die "the worker join token has an unexpected format"
  [[ "$manager" =~ $TOKEN_PATTERN ]] || die "the manager join token has an unexpected format"
  [[ "$join_addr" =~ $ADDR_PATTERN ]] || die "the manager address '$join_addr' has an unexpected format"
  log "swarm active; join address $join_addr"
  printf '{"worker":"%s","manager":"%s","joinAddr":"%s"}\n' "$worker" "$manager" "$join_addr"
}

main "$@"
