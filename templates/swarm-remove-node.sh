#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s -- TIMEOUT_SECONDS NAME ROLE` (lib.sh is prepended to
# stdin by infra/swarm/remote-scripts.ts) before node NAME's VM is deleted (scale-down): demote it if it
# is a manager, drain it, wait for its tasks to be rescheduled, then remove it from the swarm.
# Succeeds with a message when the node is already gone, or when this node is in no swarm at all
# (LocalNodeState inactive: the cluster itself is being torn down). Any other state (locked after
# a restart with autolock, error, pending, dockerd not answering) FAILS, saying what to do: its
# VM must not be deleted while the swarm may still count it, or a scale-down of managers could
# leave dead Raft members behind and lose quorum for good.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-remove-node

# "<LocalNodeState>:<ControlAvailable>" of this node, e.g. "active:true" on a manager.
local_swarm_state() {
  docker_probe info --format '{{.Swarm.LocalNodeState}}:{{.Swarm.ControlAvailable}}' 2>/dev/null ||
    echo unknown:false
}

# Succeeds when this node can remove others; returns 1 when it is in no swarm at all; dies,
# saying what to do, in every other state.
check_swarm_here() {
  local name=$1 state
  state=$(local_swarm_state)
  case "$state" in
  active:true) return 0 ;;
  inactive:*) return 1 ;;
  active:*) die "this node is a swarm worker, not a manager: it cannot remove $name (was manager-0 demoted?); $name was not removed" ;;
  locked:*) die "the swarm is locked on this manager (autolock, after dockerd restarted): unlock it with 'docker swarm unlock' and the key from 'pulumi stack output --show-secrets swarmUnlockKey', then run pulumi again; $name was not removed" ;;
  *) die "the swarm on this manager is '${state%%:*}' (pending: still joining; error: see 'journalctl -u docker'; unknown: dockerd did not answer within ${SWARMLAB_PROBE_TIMEOUT_SECONDS}s); fix it, then run pulumi again; $name was not removed" ;;
  esac
}

# IDs of every swarm node with this hostname (a replaced VM leaves a second, Down, record).
node_ids() {
  local rows
  rows=$(docker_probe node ls --format '{{.ID}} {{.Hostname}}') || die "docker node ls failed"
  awk -v name="$1" '$2 == name { print $1 }' <<<"$rows"
}

is_raft_member() {
  [ -n "$(docker_probe node inspect "$1" --format '{{if .ManagerStatus}}yes{{end}}' 2>/dev/null)" ]
}

not_raft_member() {
  ! is_raft_member "$1"
}

no_running_tasks() {
  [ -z "$(docker_probe node ps "$1" --filter desired-state=running -q 2>/dev/null)" ]
}

remove_node() {
  local id=$1 name=$2 seconds=$3 self_id
  self_id=$(docker_probe info --format '{{.Swarm.NodeID}}')
  if [ "$id" = "$self_id" ]; then
    log "$name ($id) is the node this runs on; not removing it (its VM deletion ends the swarm)"
    return 0
  fi
  if is_raft_member "$id"; then
    log "demoting manager $name ($id)"
    docker_probe node demote "$id" >&2
    # Removing a node that is still in the Raft would leave a dead member the quorum counts.
    wait_until "$seconds" "$name to leave the raft" not_raft_member "$id" ||
      die "$name ($id) is still a Raft member ${seconds}s after its demotion, so it was not removed. On a manager, check 'docker node ls'; once a quorum of managers is Reachable, run 'docker node demote $name' until it is a worker, then run pulumi again"
  fi
  log "draining $name ($id)"
  docker_probe node update --availability drain "$id" >/dev/null
  wait_until "$seconds" "the tasks of $name to move to other nodes" no_running_tasks "$id" ||
    log "WARNING: $name still has running tasks; removing it anyway, the swarm reschedules them"
  docker_probe node rm --force "$id" >/dev/null
  log "removed $name ($id) from the swarm"
}

main() {
  exec </dev/null
  local timeout_seconds=${1:-} name=${2:-} role=${3:-} ids id
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "usage: swarm-remove-node.sh TIMEOUT_SECONDS NAME ROLE"
  [[ "$name" =~ ^[A-Za-z0-9.-]+$ ]] || die "bad node name '$name'"
  [ "$role" = manager ] || [ "$role" = worker ] || die "bad role '$role' (manager or worker)"
  if ! check_swarm_here "$name"; then
    log "this node is in no swarm (inactive); nothing to remove for $name"
    return 0
  fi
  ids=$(node_ids "$name")
  if [ -z "$ids" ]; then
    log "$name is not in the swarm (already removed)"
    return 0
  fi
  for id in $ids; do
    remove_node "$id" "$name" "$timeout_seconds"
  done
}

main "$@"
