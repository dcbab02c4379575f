#!/usr/bin/env bash
# Run over SSH on a manager as `bash -s` (infra/stacks/externals.ts prepends lib.sh). One thing a
# stack names as external, declared in swarmlab:stackExternals, made before the stacks deploy and
# removed after them (each is its own step, so adding or dropping one touches no other):
#
#   stack-external.sh secret-create NAME      SWARMLAB_SECRET_VALUE (base64, on the step's secret
#                                             stdin) becomes swarm secret NAME, read from stdin:
#                                             never an argument, never logged
#   stack-external.sh secret-remove NAME
#   stack-external.sh network-create NAME MTU ATTACHABLE   an overlay network, driver option mtu=MTU
#   stack-external.sh network-remove NAME TIMEOUT_SECONDS  waits while tasks still use it
#   stack-external.sh labels-add NODE         SWARMLAB_NODE_LABELS ("key=value" entries) on NODE
#   stack-external.sh labels-remove NODE
#
# Swarm secrets are immutable: a changed value is a new secret, which dockerd refuses while a
# service still uses the old one; the step then fails saying so.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=stack-external

action=${1:?action}
name=${2:?name}
: "${SWARMLAB_NODE_LABELS:=}"

exists() { as_root docker "$1" inspect "$2" >/dev/null 2>&1; }

network_gone() {
  exists network "$name" || return 0
  as_root docker network rm "$name" >/dev/null 2>&1 || return 1
}

case "$action" in
  secret-create)
    [ -n "${SWARMLAB_SECRET_VALUE:-}" ] || die "secret $name: no value on the secret stdin"
    if exists secret "$name"; then
      log "secret $name exists: replacing it with the declared value"
      as_root docker secret rm "$name" >/dev/null ||
        die "secret $name is in use by a service and a swarm secret cannot change; remove the stacks using it (swarmlab:stacks), run pulumi up, then add them back"
    fi
    printf '%s' "$SWARMLAB_SECRET_VALUE" | base64 -d |
      as_root docker secret create --label swarmlab.external=true "$name" - >/dev/null
    log "secret $name created"
    ;;
  secret-remove)
    if exists secret "$name"; then
      as_root docker secret rm "$name" >/dev/null
      log "secret $name removed"
    fi
    ;;
  network-create)
    mtu=${3:?mtu}
    attachable=${4:?attachable}
    if exists network "$name"; then
      log "network $name exists; kept"
    else
      options=(--driver overlay --label swarmlab.external=true --opt "com.docker.network.driver.mtu=$mtu")
      [ "$attachable" = true ] && options+=(--attachable)
      as_root docker network create "${options[@]}" "$name" >/dev/null
      log "overlay network $name created (com.docker.network.driver.mtu=$mtu)"
    fi
    ;;
  network-remove)
    timeout_seconds=${3:?timeout}
    wait_until "$timeout_seconds" "network $name to be removed (its tasks to stop)" network_gone ||
      die "network $name is still in use ${timeout_seconds}s after its stacks were removed (docker network inspect $name)"
    ;;
  labels-add | labels-remove)
    [ -n "$SWARMLAB_NODE_LABELS" ] || die "labels of $name: SWARMLAB_NODE_LABELS is empty"
    options=()
    for label in $SWARMLAB_NODE_LABELS; do
      if [ "$action" = labels-add ]; then
        options+=(--label-add "$label")
      else
        options+=(--label-rm "${label%%=*}")
      fi
    done
    if [ "$action" = labels-remove ] && ! exists node "$name"; then
      log "node $name is gone: nothing to unlabel"
      exit 0
    fi
    if [ "$action" = labels-remove ]; then
      # A label removed by hand meanwhile is not an error: what is left of ours goes.
      as_root docker node update "${options[@]}" "$name" >/dev/null 2>&1 ||
        log "node $name: some labels were already gone"
    else
      as_root docker node update "${options[@]}" "$name" >/dev/null
    fi
    log "node $name: ${action#labels-} $SWARMLAB_NODE_LABELS"
    ;;
  *)
    die "unknown action $action"
    ;;
esac
