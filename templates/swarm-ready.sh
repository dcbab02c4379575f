#!/usr/bin/env bash
# Run over SSH on manager-0 as `bash -s -- TIMEOUT_SECONDS [--owner OWNER] NAME:ROLE [NAME:ROLE...]`
# (lib.sh is prepended to stdin by infra/remote-scripts.ts). Polls until the swarm holds exactly
# the expected nodes, each Ready, Active or not, with the expected role (managers Leader or
# Reachable). Then it prints the `docker node ls` table on stderr and a JSON array on stdout:
#   [{"name":"...","role":"manager","state":"Ready","availability":"Active","managerStatus":"Leader"}]
# On the deadline it exits 1 naming every missing, not-ready, wrong-role or unexpected node.
#
# With --owner, a node of the same cluster that is not expected (OWNER-worker-N past the new
# count) is leaving: on a scale-down Pulumi runs this gate before it deletes the removed nodes'
# memberships, which drain and remove them. Such nodes are reported, not counted as problems; any
# other unexpected node (one that joined with a leaked token) still fails the gate.
#
# A Down entry that shares its hostname with a Ready node is a replaced VM's stale record; it
# does not block readiness (swarm-remove-node.sh removes such records).
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-ready

declare -A EXPECTED_ROLE=()
PROBLEMS=()
NODE_ROWS=()
LEAVING=()
OWNER=""

# True for a node name of this cluster (OWNER-manager-N or OWNER-worker-N).
of_this_cluster() {
  [ -n "$OWNER" ] && [[ $1 =~ ^${OWNER}-(manager|worker)-[0-9]+$ ]]
}

# Rows of "hostname<TAB>status<TAB>availability<TAB>manager status"; workers have an empty
# manager status, which is how the role is told apart.
list_nodes() {
  as_root docker node ls --format '{{.Hostname}}{{"\t"}}{{.Status}}{{"\t"}}{{.Availability}}{{"\t"}}{{.ManagerStatus}}'
}

role_of() {
  if [ -n "$1" ]; then echo manager; else echo worker; fi
}

# Fills PROBLEMS and NODE_ROWS from one `docker node ls`; succeeds when there is no problem.
check_nodes() {
  local rows name status availability manager_status role want
  local -A ready=() seen=()
  PROBLEMS=()
  NODE_ROWS=()
  LEAVING=()
  if ! rows=$(list_nodes 2>&1); then
    PROBLEMS+=("docker node ls failed: $rows")
    return 1
  fi
  while IFS=$'\t' read -r name status availability manager_status; do
    [ -n "$name" ] || continue
    role=$(role_of "$manager_status")
    seen[$name]=1
    want=${EXPECTED_ROLE[$name]:-}
    if [ -z "$want" ] && of_this_cluster "$name"; then
      LEAVING+=("$name")
    elif [ -z "$want" ]; then
      PROBLEMS+=("$name is in the swarm but not expected (status $status, role $role)")
    elif [ "$status" != Ready ]; then
      continue
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

main() {
  exec </dev/null
  local timeout_seconds=${1:-} spec name role problem
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "usage: swarm-ready.sh TIMEOUT_SECONDS [--owner OWNER] NAME:ROLE..."
  shift
  if [ "${1:-}" = --owner ]; then
    OWNER=${2:-}
    [[ "$OWNER" =~ ^[a-z][a-z0-9-]*$ ]] || die "bad owner '$OWNER'"
    shift 2
  fi
  (($# > 0)) || die "usage: swarm-ready.sh TIMEOUT_SECONDS NAME:ROLE... (no node given)"
  for spec in "$@"; do
    name=${spec%%:*}
    role=${spec#*:}
    [[ "$name" =~ ^[A-Za-z0-9.-]+$ ]] || die "bad node name in '$spec'"
    [ "$role" = manager ] || [ "$role" = worker ] || die "bad role in '$spec' (manager or worker)"
    EXPECTED_ROLE[$name]=$role
  done
  if ! wait_until "$timeout_seconds" "${#EXPECTED_ROLE[@]} swarm nodes to be Ready with their roles" check_nodes; then
    for problem in "${PROBLEMS[@]}"; do log "not ready: $problem"; done
    as_root docker node ls >&2 || true
    die "the swarm did not reach the expected ${#EXPECTED_ROLE[@]} nodes within ${timeout_seconds}s"
  fi
  as_root docker node ls >&2
  if ((${#LEAVING[@]} > 0)); then
    log "leaving the swarm after this update (drained and removed before their servers go): ${LEAVING[*]}"
  fi
  print_nodes_json
}

main "$@"
