#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s -- TIMEOUT_SECONDS NAME ROLE` (lib.sh is prepended to
# stdin by infra/remote-scripts.ts) before node NAME's VM is deleted (scale-down): demote it if it
# is a manager, drain it, wait for its tasks to be rescheduled, then remove it from the swarm.
# Succeeds with a message when the node is already gone or there is no swarm to ask here
# (the cluster itself is being torn down), so it never blocks a deletion.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-remove-node

swarm_manager_here() {
  [ "$(as_root docker info --format '{{.Swarm.LocalNodeState}}:{{.Swarm.ControlAvailable}}' 2>/dev/null)" = "active:true" ]
}

# IDs of every swarm node with this hostname (a replaced VM leaves a second, Down, record).
node_ids() {
  as_root docker node ls --format '{{.ID}} {{.Hostname}}' | awk -v name="$1" '$2 == name { print $1 }'
}

is_raft_member() {
  [ -n "$(as_root docker node inspect "$1" --format '{{if .ManagerStatus}}yes{{end}}' 2>/dev/null)" ]
}

not_raft_member() {
  ! is_raft_member "$1"
}

no_running_tasks() {
  [ -z "$(as_root docker node ps "$1" --filter desired-state=running -q 2>/dev/null)" ]
}

remove_node() {
  local id=$1 name=$2 seconds=$3 self_id
  self_id=$(as_root docker info --format '{{.Swarm.NodeID}}')
  if [ "$id" = "$self_id" ]; then
    log "$name ($id) is the node this runs on; not removing it (its VM deletion ends the swarm)"
    return 0
  fi
  if is_raft_member "$id"; then
    log "demoting manager $name ($id)"
    as_root docker node demote "$id" >&2
    wait_until "$seconds" "$name to leave the raft" not_raft_member "$id" ||
      log "WARNING: $name is still listed as a manager; removing it anyway"
  fi
  log "draining $name ($id)"
  as_root docker node update --availability drain "$id" >/dev/null
  wait_until "$seconds" "the tasks of $name to move to other nodes" no_running_tasks "$id" ||
    log "WARNING: $name still has running tasks; removing it anyway, the swarm reschedules them"
  as_root docker node rm --force "$id" >/dev/null
  log "removed $name ($id) from the swarm"
}

main() {
  exec </dev/null
  local timeout_seconds=${1:-} name=${2:-} role=${3:-} ids id
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "usage: swarm-remove-node.sh TIMEOUT_SECONDS NAME ROLE"
  [[ "$name" =~ ^[A-Za-z0-9.-]+$ ]] || die "bad node name '$name'"
  [ "$role" = manager ] || [ "$role" = worker ] || die "bad role '$role' (manager or worker)"
  if ! swarm_manager_here; then
    log "no active swarm manager on this node; nothing to remove for $name"
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
