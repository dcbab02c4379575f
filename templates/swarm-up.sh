#!/usr/bin/env bash
# The node's swarm step. Manager-0 (metadata swarm_init=true) initialises the swarm; every other
# node joins it with swarm_join_addr and swarm_token from instance metadata. Reads node.env:
#   SWARM_ADDRESS_POOL  default address pool of overlay networks
#   OVERLAY_MTU         MTU of overlay networks (network MTU - 50 for the VXLAN header)
#   OWNER               the stack owner, set as node label swarmlab.owner on manager-0
#   SWARM_JOIN_DEADLINE_SECONDS  how long to wait for join metadata and for the join to succeed
#
# The join token is held in one variable and passed only as an argument to docker: it is never
# echoed, written to a file or logged, and docker's output is redacted before it is logged.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=swarm-up
load_node_env

local_node_state() {
  docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown
}

in_swarm() {
  case "$(local_node_state)" in
  active | locked) return 0 ;;
  esac
  return 1
}

ingress_mtu() {
  docker network inspect ingress --format '{{index .Options "com.docker.network.driver.mtu"}}' 2>/dev/null || true
}

ingress_absent() {
  ! docker network inspect ingress >/dev/null 2>&1
}

# The default ingress network has MTU 1500, too big on a VXLAN tenant network: large packets to
# published ports would be dropped. It can only be replaced while no service uses it, i.e. now.
ensure_ingress_mtu() {
  if [ "$(ingress_mtu)" = "$OVERLAY_MTU" ]; then
    log "ingress network already has MTU $OVERLAY_MTU"
    return 0
  fi
  if ! ingress_absent; then
    log "replacing the ingress network to set MTU $OVERLAY_MTU"
    # docker 20.10 asks for confirmation before removing the routing-mesh network.
    printf 'y\n' | docker network rm ingress >/dev/null
    wait_until 60 "the old ingress network to be removed" ingress_absent ||
      die "the ingress network was not removed"
  fi
  retry 5 3 docker network create --driver overlay --ingress \
    --opt "com.docker.network.driver.mtu=$OVERLAY_MTU" ingress >/dev/null ||
    die "could not create the ingress network with MTU $OVERLAY_MTU"
}

init_swarm() {
  local advertise_addr node_id
  advertise_addr=$(meta swarm_advertise_addr)
  [ -n "$advertise_addr" ] || die "metadata swarm_advertise_addr is missing"
  if in_swarm; then
    log "this node is already in a swarm; not initialising"
  else
    log "initialising the swarm on $advertise_addr with address pool $SWARM_ADDRESS_POOL"
    # stdout carries the worker join command, token included: it must not reach the log.
    docker swarm init --advertise-addr "$advertise_addr" \
      --default-addr-pool "$SWARM_ADDRESS_POOL" >/dev/null
  fi
  ensure_ingress_mtu
  node_id=$(docker info --format '{{.Swarm.NodeID}}')
  docker node update --label-add "swarmlab.owner=$OWNER" "$node_id" >/dev/null
  log "swarm active; node $node_id labelled swarmlab.owner=$OWNER"
}

join_metadata_present() {
  [ -n "$(meta swarm_join_addr)" ] && [ -n "$(meta swarm_token)" ]
}

# One join attempt. A timed-out join goes on in the background (state "pending"): then wait for
# it instead of starting another one.
try_join() {
  local advertise_addr=$1 join_addr=$2 token output
  case "$(local_node_state)" in
  active | locked) return 0 ;;
  pending) return 1 ;;
  esac
  token=$(meta swarm_token)
  if output=$(docker swarm join --advertise-addr "$advertise_addr" --token "$token" "$join_addr" 2>&1); then
    return 0
  fi
  log "join via $join_addr failed: $(printf '%s' "$output" | redact_tokens)"
  return 1
}

join_swarm() {
  local deadline_seconds=${SWARM_JOIN_DEADLINE_SECONDS:-900} advertise_addr join_addr
  local deadline delay=5
  if in_swarm; then
    log "this node is already in a swarm; not joining"
    return 0
  fi
  advertise_addr=$(meta swarm_advertise_addr)
  [ -n "$advertise_addr" ] || die "metadata swarm_advertise_addr is missing"
  deadline=$(($(date +%s) + deadline_seconds))
  wait_until "$deadline_seconds" "metadata swarm_join_addr and swarm_token" join_metadata_present ||
    die "metadata swarm_join_addr/swarm_token never appeared; the Pulumi program sets them from manager-0's bootstrap"
  join_addr=$(meta swarm_join_addr)
  log "joining the swarm at $join_addr as $(meta swarm_role) (advertising $advertise_addr)"
  # Backoff: manager-0 may still be starting, or a security group rule may not be in place yet.
  until try_join "$advertise_addr" "$join_addr"; do
    if (($(date +%s) >= deadline)); then
      die "could not join the swarm at $join_addr within ${deadline_seconds}s (check that TCP 2377 is open between nodes)"
    fi
    sleep "$delay"
    delay=$((delay * 2 > 60 ? 60 : delay * 2))
  done
  log "joined the swarm: $(local_node_state)"
}

main() {
  if [ "$(meta swarm_init)" = true ]; then
    init_swarm
  else
    join_swarm
  fi
}

main "$@"
