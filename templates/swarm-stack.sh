#!/usr/bin/env bash
# Run over SSH on a manager as `bash -s` (infra/stacks/stack-scripts.ts prepends the compose text
# as SWARMLAB_COMPOSE, then lib.sh and lib-registry-login.sh; a stack whose images come from the
# cluster's registry gets the credentials first, on the step's secret stdin, and deploys logged
# in, so --with-registry-auth hands them to the nodes that pull). The files the compose text
# names (secrets, configs, env files: files/<hash>/<name>) come on the secret stdin too, as
# SWARMLAB_STACK_FILES "path:base64" entries, and are written beside the compose file, where
# `docker stack deploy` reads them. One application stack's life:
#
#   swarm-stack.sh deploy STACK TIMEOUT_SECONDS
#     `docker stack deploy` of SWARMLAB_COMPOSE, then waits until every service of the stack has
#     all its replicas running; prints them as JSON. Images are pinned by tag and not resolved
#     (--resolve-image never), so a service whose definition did not change keeps its tasks (a
#     resolved digest would restart every service on each deploy, moby #30844). On the deadline,
#     or when an update is rolled back, it names the service and quotes its task errors.
#   swarm-stack.sh remove STACK TIMEOUT_SECONDS
#     `docker stack rm`, then waits until the stack's services and networks are gone (networks
#     linger while tasks shut down, moby #32620, and a redeploy meanwhile would fail).
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=swarm-stack

STACK=""
# A service counts as converged only when seen so twice in a row: right after a deploy the
# orchestrator may not have started an update yet, and the old tasks still look complete.
CONVERGED_STREAK=0
PROBLEMS=()
declare -A VERSION_BEFORE=()

# Rows "name|version|update state" of the stack's services.
service_states() {
  local ids
  ids=$(docker_probe service ls -q --filter "label=com.docker.stack.namespace=$STACK") || return 1
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # one argument per service id
  docker_probe service inspect --format '{{.Spec.Name}}|{{.Version.Index}}|{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' $ids
}

# Rows "name|running/wanted" of the stack's services.
service_replicas() {
  docker_probe service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}}|{{.Replicas}}'
}

# The latest task errors of SERVICE, from `docker service ps --no-trunc`.
task_errors() {
  docker_probe service ps --no-trunc --format '  {{.Name}} on {{.Node}}: {{.CurrentState}} {{.Error}}' "$1" 2>&1 | head -n 6
}

remember_versions() {
  local name version state
  while IFS='|' read -r name version state; do
    [ -n "$name" ] && VERSION_BEFORE[$name]=$version
  done < <(service_states)
}

# Fails the deploy at once when an update this deploy started was rolled back or paused.
check_rollbacks() {
  local name version state
  while IFS='|' read -r name version state; do
    [ -n "$name" ] || continue
    [ "$version" != "${VERSION_BEFORE[$name]:-}" ] || continue
    case "$state" in
    rollback_completed | rollback_paused | paused)
      log "the update of $name failed (update state: $state); its tasks:"
      task_errors "$name" >&2 || true
      die "stack $STACK: service $name did not update (state $state); see its task errors above"
      ;;
    esac
  done < <(service_states)
}

# Fills PROBLEMS; succeeds when every service has all its replicas running, twice in a row.
check_converged() {
  local rows name replicas running wanted state
  PROBLEMS=()
  check_rollbacks
  if ! rows=$(service_replicas 2>&1); then
    PROBLEMS+=("listing the services of $STACK failed: $rows")
    CONVERGED_STREAK=0
    return 1
  fi
  [ -n "$rows" ] || PROBLEMS+=("stack $STACK has no services yet")
  while IFS='|' read -r name replicas; do
    [ -n "$name" ] || continue
    replicas=${replicas%% *}
    running=${replicas%%/*}
    wanted=${replicas#*/}
    [ "$running" = "$wanted" ] || PROBLEMS+=("$name has $running of $wanted replicas running")
  done <<<"$rows"
  while IFS='|' read -r name _ state; do
    case "$state" in updating | rollback_started) PROBLEMS+=("$name is still updating ($state)") ;; esac
  done < <(service_states)
  if ((${#PROBLEMS[@]} > 0)); then
    CONVERGED_STREAK=0
    return 1
  fi
  CONVERGED_STREAK=$((CONVERGED_STREAK + 1))
  ((CONVERGED_STREAK >= 2))
}

print_services_json() {
  local name replicas separator=""
  printf '['
  while IFS='|' read -r name replicas; do
    [ -n "$name" ] || continue
    replicas=${replicas%% *}
    printf '%s{"service":"%s","running":%d,"wanted":%d}' "$separator" "$name" "${replicas%%/*}" "${replicas#*/}"
    separator=","
  done < <(service_replicas | sort)
  printf ']\n'
}

# Writes the stack's files into DIR (readable by root only: some are secrets).
unpack_stack_files() {
  local dir=$1 entry file
  declare -p SWARMLAB_STACK_FILES >/dev/null 2>&1 || return 0
  for entry in "${SWARMLAB_STACK_FILES[@]}"; do
    file=${entry%%:*}
    [[ "$file" =~ ^files/[0-9a-f]{12}/[A-Za-z0-9_.-]+$ ]] || die "refusing stack file path '$file'"
    mkdir -p "$dir/$(dirname "$file")"
    base64 -d <<<"${entry#*:}" >"$dir/$file"
  done
}

deploy() {
  local timeout_seconds=$1 dir compose_file problem name
  [ -n "${SWARMLAB_COMPOSE:-}" ] || die "no compose text given (SWARMLAB_COMPOSE is empty)"
  dir=$(umask 077 && mktemp -d /tmp/swarmlab-stack.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the path is fixed
  trap "rm -rf '$dir'" EXIT
  compose_file=$dir/compose.yaml
  (umask 077 && unpack_stack_files "$dir" && printf '%s\n' "$SWARMLAB_COMPOSE" >"$compose_file")
  remember_versions
  if registry_credentials_given; then registry_login "$timeout_seconds"; fi
  log "deploying stack $STACK"
  as_root docker stack deploy --compose-file "$compose_file" --resolve-image never --prune \
    --with-registry-auth "$STACK" >&2 || die "docker stack deploy of $STACK failed (its error is above)"
  if ! wait_until "$timeout_seconds" "every service of stack $STACK to have all its replicas running" check_converged; then
    for problem in "${PROBLEMS[@]}"; do log "not converged: $problem"; done
    while IFS='|' read -r name _; do
      [ -n "$name" ] || continue
      log "tasks of $name:"
      task_errors "$name" >&2 || true
    done < <(service_replicas)
    die "stack $STACK did not converge within ${timeout_seconds}s: ${PROBLEMS[*]}"
  fi
  print_services_json
}

# Succeeds when the stack has no service and no network left.
stack_gone() {
  local left
  left=$(docker_probe service ls -q --filter "label=com.docker.stack.namespace=$STACK") || return 1
  [ -z "$left" ] || return 1
  left=$(docker_probe network ls -q --filter "label=com.docker.stack.namespace=$STACK") || return 1
  [ -z "$left" ]
}

# stack_gone, after one more `docker stack rm` when something is left (see remove).
stack_removed() {
  stack_gone && return 0
  as_root docker stack rm "$STACK" >"$WORKDIR/stack-rm.log" 2>&1 || true
  stack_gone
}

remove() {
  local timeout_seconds=$1
  WORKDIR=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the folder of this run
  trap "rm -rf '$WORKDIR'" EXIT
  if stack_gone; then
    log "stack $STACK is not deployed; nothing to remove"
    return 0
  fi
  log "removing stack $STACK"
  # `docker stack rm` removes the services, then at once the networks; a network whose tasks are
  # still shutting down is refused ("is in use by task") and stays: not an error yet. Each poll
  # runs it again until nothing of the stack is left; the last refusal is shown on the deadline.
  if ! as_root docker stack rm "$STACK" >"$WORKDIR/stack-rm.log" 2>&1; then
    cat "$WORKDIR/stack-rm.log" >&2
    log "docker stack rm $STACK left something (tasks still shutting down?); trying again until the deadline"
  fi
  if ! wait_until "$timeout_seconds" "the services and networks of stack $STACK to be gone" stack_removed; then
    cat "$WORKDIR/stack-rm.log" >&2
    docker_probe network ls --filter "label=com.docker.stack.namespace=$STACK" >&2 || true
    die "stack $STACK still has services or networks ${timeout_seconds}s after docker stack rm; a task may be stuck shutting down (docker service ps on its services, docker ps on its nodes)"
  fi
}

main() {
  exec </dev/null
  local usage="usage: swarm-stack.sh deploy|remove STACK TIMEOUT_SECONDS"
  local action=${1:-} timeout_seconds=${3:-}
  STACK=${2:-}
  [[ "$STACK" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "$usage (bad stack name '$STACK')"
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "$usage"
  case "$action" in
  deploy) deploy "$timeout_seconds" ;;
  remove) remove "$timeout_seconds" ;;
  *) die "$usage" ;;
  esac
}

main "$@"
