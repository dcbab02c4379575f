#!/usr/bin/env bash
# Run over SSH on a manager as
#   bash -s -- TIMEOUT_SECONDS [--remove-down PREFIX] [--leaving NAME:ADDRESS]... NAME:ROLE:ADDRESS...
# (lib.sh is prepended to stdin by infra/swarm/remote-scripts.ts). Polls until the swarm holds exactly
# the expected nodes, each Ready, Active or not, with the expected role (managers Leader or
# Reachable) AND at its expected private address. Then it prints the `docker node ls` table on
# stderr and a JSON array on stdout:
#   [{"name":"...","role":"manager","state":"Ready","availability":"Active","managerStatus":"Leader"}]
# On the deadline it exits 1 naming every missing, not-ready, wrong-role, misplaced or unexpected
# node.
#
# Names prove nothing (a node that joined with a leaked token picks its own hostname), addresses
# do: this cluster's private addresses are fixed by its ports and the security group admits only
# them to 2377. So a node under an expected name at another address, two Ready nodes with one name
# or one address, and any unexpected node fail the gate.
#
# --leaving names a node of the previous deployment that this update removes: Pulumi runs the gate
# before it deletes the removed nodes' memberships (which drain and remove them), so such a node,
# at its known address, is reported, not counted as a problem.
#
# An older entry that shares its hostname with a Ready node is a re-created VM's stale record.
# Without --remove-down it does not block readiness (swarm-remove-node.sh removes such records).
#
# --remove-down PREFIX (the cluster's `<owner>-`): entries named PREFIX... are removed (demoted
# first if they were managers, so the Raft does not count a dead member) when they are
#   - not expected and Down (a node lost, or removed while no manager answered), or
#   - the stale record of an expected node: older than the Ready entry of that name at its
#     expected address, in any state. A stale record can still be Ready (or Unknown) for a while
#     after its VM is gone, until the managers miss its heartbeats; the new VM holds the address
#     now, so the old record is no machine. A gate that passed over it left a second entry under
#     the name for good (issue 25), so with PREFIX the gate succeeds only once it is gone.
# Entries of other names are reported, never touched.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-ready

declare -A EXPECTED_ROLE=() EXPECTED_ADDRESS=() LEAVING_ADDRESS=()
REMOVE_DOWN_PREFIX=
PROBLEMS=()
NODE_ROWS=()
LEAVING=()
ADDRESS_PATTERN='^[0-9A-Fa-f.:]+$'

# Rows of "id|hostname|state|availability|manager status|address|raft address|created", states
# in `docker node inspect`'s lower case; workers have an empty manager status, which is how the
# role is told apart; created is when the entry joined, in nanoseconds since 1970. `docker node
# ls` cannot print addresses, hence inspect. ("|", not a tab: read would merge the tabs around an
# empty field.)
list_nodes() {
  local ids
  ids=$(docker_probe node ls -q) || return 1
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # one argument per node id
  docker_probe node inspect --format '{{.ID}}|{{.Description.Hostname}}|{{.Status.State}}|{{.Spec.Availability}}|{{if .ManagerStatus}}{{if .ManagerStatus.Leader}}leader{{else}}{{.ManagerStatus.Reachability}}{{end}}{{end}}|{{.Status.Addr}}|{{if .ManagerStatus}}{{.ManagerStatus.Addr}}{{end}}|{{.CreatedAt.UnixNano}}' $ids
}

role_of() {
  if [ -n "$1" ]; then echo manager; else echo worker; fi
}

# The address a node is at: the one the managers see; a manager may report 0.0.0.0 there, then
# its Raft address (without the port) is the one.
node_address() {
  local address=$1 raft_address=$2
  if [ -z "$address" ] || [ "$address" = 0.0.0.0 ]; then address=${raft_address%:*}; fi
  printf '%s' "$address"
}

# Is the entry NAME at ADDRESS, in STATE and created at CREATED, one of this cluster's ghosts
# (see --remove-down)? CURRENT_CREATED holds, by name, when the newest Ready entry of an
# expected node at its expected address joined.
is_ghost() {
  local name=$1 state=$2 address=$3 created=$4 current
  if [ -z "$REMOVE_DOWN_PREFIX" ] || [[ "$name" != "$REMOVE_DOWN_PREFIX"* ]]; then return 1; fi
  if [ -z "${EXPECTED_ROLE[$name]:-}" ]; then
    [ "$state" = down ] && [ "${LEAVING_ADDRESS[$name]:-}" != "$address" ]
    return
  fi
  current=${CURRENT_CREATED[$name]:-}
  [ -n "$current" ] || return 1
  if [[ "$created" =~ ^[0-9]+$ ]]; then
    # Older than the current node. A Ready one elsewhere may be a live machine: never removed.
    ((created < current)) && { [ "$state" != ready ] || [ "$address" = "${EXPECTED_ADDRESS[$name]}" ]; }
  else
    # No join time to compare (never from a real dockerd): only a Down entry is surely stale.
    [ "$state" = down ]
  fi
}

# Removes this cluster's ghosts (see --remove-down). A failure is logged, and the gate's check
# then reports the entry.
remove_ghosts() {
  local rows id name state availability manager_status address raft_address created
  local -A CURRENT_CREATED=()
  [ -n "$REMOVE_DOWN_PREFIX" ] || return 0
  rows=$(list_nodes 2>/dev/null) || return 0
  while IFS='|' read -r id name state _ _ address raft_address created; do
    address=$(node_address "$address" "$raft_address")
    if [ "$state" != ready ] || [ "$address" != "${EXPECTED_ADDRESS[$name]:-}" ]; then continue; fi
    [[ "$created" =~ ^[0-9]+$ ]] || created=0
    if ((created >= ${CURRENT_CREATED[$name]:-0})); then CURRENT_CREATED[$name]=$created; fi
  done <<<"$rows"
  while IFS='|' read -r id name state availability manager_status address raft_address created; do
    [ -n "$id" ] || continue
    address=$(node_address "$address" "$raft_address")
    is_ghost "$name" "$state" "$address" "$created" || continue
    if [ -n "$manager_status" ]; then
      log "demoting $name ($id, ${state^}): a manager of this cluster that is no longer expected or was re-created"
      docker_probe node demote "$id" >&2 || {
        log "could not demote $name ($id); it stays (a quorum of managers must be Reachable)"
        continue
      }
    fi
    if docker_probe node rm --force "$id" >/dev/null; then
      log "removed $name ($id), ${state^} at $address: lost or re-created, no longer in this cluster"
    else
      log "could not remove $name ($id)"
    fi
  done <<<"$rows"
}

# Fills PROBLEMS and NODE_ROWS from one listing; succeeds when there is no problem.
check_nodes() {
  remove_ghosts
  local rows name state status availability manager_status address raft_address role want
  local -A ready=() seen=() ready_at=() entries=()
  PROBLEMS=()
  NODE_ROWS=()
  LEAVING=()
  if ! rows=$(list_nodes 2>&1); then
    PROBLEMS+=("listing the swarm's nodes failed: $rows")
    return 1
  fi
  while IFS='|' read -r _id name state availability manager_status address raft_address _created; do
    [ -n "$name" ] || continue
    entries[$name]=$((${entries[$name]:-0} + 1))
    status=${state^}
    availability=${availability^}
    manager_status=${manager_status^}
    address=$(node_address "$address" "$raft_address")
    role=$(role_of "$manager_status")
    seen[$name]=1
    want=${EXPECTED_ROLE[$name]:-}
    if [ "$status" = Ready ]; then
      if [ -n "${ready_at[$address]:-}" ]; then
        PROBLEMS+=("$name and ${ready_at[$address]} are both Ready at $address: one address, two nodes (one joined with a leaked token?)")
      fi
      ready_at[$address]=$name
    fi
    if [ -z "$want" ]; then
      if [ "${LEAVING_ADDRESS[$name]:-}" = "$address" ]; then
        LEAVING+=("$name")
      else
        PROBLEMS+=("$name is in the swarm at $address but not expected (status $status, role $role)")
      fi
    elif [ "$status" != Ready ]; then
      continue
    elif [ -n "${ready[$name]:-}" ]; then
      PROBLEMS+=("$name is in the swarm twice as Ready (one of them joined with a leaked token?)")
    elif [ "$address" != "${EXPECTED_ADDRESS[$name]}" ]; then
      PROBLEMS+=("$name is at $address, but this cluster's $name is at ${EXPECTED_ADDRESS[$name]}: a node that borrowed its name?")
      ready[$name]=1
    elif [ "$role" != "$want" ]; then
      PROBLEMS+=("$name is a $role, expected a $want")
      ready[$name]=1
    elif [ "$role" = manager ] && [ "$manager_status" != Leader ] && [ "$manager_status" != Reachable ]; then
      PROBLEMS+=("$name is a manager but $manager_status")
      ready[$name]=1
    else
      ready[$name]=1
      NODE_ROWS+=("$name"$'\t'"$role"$'\t'"$status"$'\t'"$availability"$'\t'"$manager_status")
    fi
  done <<<"$rows"
  for name in "${!EXPECTED_ROLE[@]}"; do
    if [ -z "${seen[$name]:-}" ]; then
      PROBLEMS+=("$name is missing from the swarm")
    elif [ -z "${ready[$name]:-}" ]; then
      PROBLEMS+=("$name is in the swarm but not Ready")
    elif [ -n "$REMOVE_DOWN_PREFIX" ] && ((${entries[$name]} > 1)); then
      # remove_ghosts could not remove it yet (or it is not surely stale): a pass now would
      # leave the duplicate for good.
      PROBLEMS+=("$name is listed ${entries[$name]} times: a stale record of a re-created node is still there")
    fi
  done
  ((${#PROBLEMS[@]} == 0))
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

print_nodes_json() {
  local row name role status availability manager_status separator=""
  printf '['
  for row in "${NODE_ROWS[@]}"; do
    IFS=$'\t' read -r name role status availability manager_status <<<"$row"
    printf '%s{"name":%s,"role":%s,"state":%s,"availability":%s,"managerStatus":%s}' "$separator" \
      "$(json_string "$name")" "$(json_string "$role")" "$(json_string "$status")" \
      "$(json_string "$availability")" "$(json_string "$manager_status")"
    separator=","
  done
  printf ']\n'
}

# NAME:ADDRESS or NAME:ROLE:ADDRESS; addresses may be IPv6 (colons), so split from the left.
parse_name() {
  [[ "${1%%:*}" =~ ^[A-Za-z0-9.-]+$ ]] || die "bad node name in '$1'"
  printf '%s' "${1%%:*}"
}

parse_address() {
  [[ "$1" =~ $ADDRESS_PATTERN ]] || die "bad address '$1' in '$2'"
  printf '%s' "$1"
}

main() {
  exec </dev/null
  local timeout_seconds=${1:-} spec name role rest problem
  local usage="usage: swarm-ready.sh TIMEOUT_SECONDS [--remove-down PREFIX] [--leaving NAME:ADDRESS]... NAME:ROLE:ADDRESS..."
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "$usage"
  shift
  if [ "${1:-}" = --remove-down ]; then
    [[ "${2:-}" =~ ^[a-z0-9][a-z0-9-]*-$ ]] || die "bad --remove-down prefix '${2:-}'"
    REMOVE_DOWN_PREFIX=$2
    shift 2
  fi
  while [ "${1:-}" = --leaving ]; do
    spec=${2:-}
    name=$(parse_name "$spec")
    LEAVING_ADDRESS[$name]=$(parse_address "${spec#*:}" "$spec")
    shift 2
  done
  (($# > 0)) || die "$usage (no node given)"
  for spec in "$@"; do
    name=$(parse_name "$spec")
    rest=${spec#*:}
    role=${rest%%:*}
    [ "$role" = manager ] || [ "$role" = worker ] || die "bad role in '$spec' (manager or worker)"
    EXPECTED_ROLE[$name]=$role
    EXPECTED_ADDRESS[$name]=$(parse_address "${rest#*:}" "$spec")
  done
  if ! wait_until "$timeout_seconds" "${#EXPECTED_ROLE[@]} swarm nodes to be Ready with their roles and addresses" check_nodes; then
    for problem in "${PROBLEMS[@]}"; do log "not ready: $problem"; done
    docker_probe node ls >&2 || true
    die "the swarm did not reach the expected ${#EXPECTED_ROLE[@]} nodes within ${timeout_seconds}s"
  fi
  docker_probe node ls >&2
  if ((${#LEAVING[@]} > 0)); then
    log "leaving the swarm after this update (drained and removed before their servers go): ${LEAVING[*]}"
  fi
  print_nodes_json
}

main "$@"
