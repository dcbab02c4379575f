#!/usr/bin/env bash
# The node's swarm step. Manager-0 (metadata swarm_init=true) initialises the swarm; every other
# node joins it with swarm_join_addr and swarm_token from instance metadata. Reads node.env:
#   SWARM_ADDRESS_POOL  default address pool of overlay networks
#   OVERLAY_MTU         com.docker.network.driver.mtu of the ingress network: the network's MTU
#                       (the overlay driver takes VXLAN's 50 bytes off it for the tasks)
#   OWNER               the stack owner, set as node label swarmlab.owner on manager-0
#   SWARM_JOIN_DEADLINE_SECONDS  how long the join may take to succeed
#   DOCKER_DATA_ROOT  where swarm.previous-server (see storage-prepare.sh) may lie
#
# The join token is held in one variable and reaches dockerd only in the body of a request to the
# Engine API on its unix socket, written to curl's stdin by a shell builtin: it is on no command
# line (/proc/<pid>/cmdline is readable by every local user), never echoed, written to a file or
# logged, and dockerd's answers are redacted before they are logged.
#
# The swarm listens on the node's private address only (--listen-addr), not on 0.0.0.0.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=swarm-up
load_node_env

DOCKER_SOCKET=/var/run/docker.sock
SWARM_PORT=2377
TOKEN_PATTERN='^SWMTKN-[A-Za-z0-9-]+$'
JOIN_ADDR_PATTERN='^[][0-9A-Za-z.:-]+:[0-9]+$'
ADDRESS_PATTERN='^[0-9A-Fa-f.:]+$'

local_node_state() {
  docker_probe info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown
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

# The default ingress network has no MTU option, so its tasks get 1500 - 50 = 1450: 1500 bytes in
# the VXLAN tunnel, too big on a 1450 tenant network, and large packets to published ports would be
# dropped. Any other value than OVERLAY_MTU (none, or an older swarmlab's) is replaced; that works
# only while no service uses the ingress, i.e. now.
ensure_ingress_mtu() {
  if [ "$(ingress_mtu)" = "$OVERLAY_MTU" ]; then
    log "ingress network already has com.docker.network.driver.mtu=$OVERLAY_MTU"
    return 0
  fi
  if ! ingress_absent; then
    log "replacing the ingress network to set com.docker.network.driver.mtu=$OVERLAY_MTU"
    # docker 20.10 asks for confirmation before removing the routing-mesh network.
    printf 'y\n' | docker network rm ingress >/dev/null
    wait_until 60 "the old ingress network to be removed" ingress_absent ||
      die "the ingress network was not removed"
  fi
  retry 5 3 docker network create --driver overlay --ingress \
    --opt "com.docker.network.driver.mtu=$OVERLAY_MTU" ingress >/dev/null ||
    die "could not create the ingress network with MTU $OVERLAY_MTU"
}

# This node's private address from metadata: the swarm's advertise and listen address.
advertise_address() {
  local address
  address=$(meta swarm_advertise_addr)
  [[ "$address" =~ $ADDRESS_PATTERN ]] ||
    die "metadata swarm_advertise_addr is '${address}', not an IP address; the program sets it to the node's private address"
  printf '%s\n' "$address"
}

init_swarm() {
  local advertise_addr node_id
  advertise_addr=$(advertise_address)
  if in_swarm; then
    log "this node is already in a swarm; not initialising"
  else
    log "initialising the swarm on $advertise_addr with address pool $SWARM_ADDRESS_POOL"
    # stdout carries the worker join command, token included: it must not reach the log.
    docker swarm init --advertise-addr "$advertise_addr" \
      --listen-addr "$advertise_addr:$SWARM_PORT" \
      --default-addr-pool "$SWARM_ADDRESS_POOL" >/dev/null
  fi
  ensure_ingress_mtu
  node_id=$(docker_probe info --format '{{.Swarm.NodeID}}')
  docker node update --label-add "swarmlab.owner=$OWNER" "$node_id" >/dev/null
  log "swarm active; node $node_id labelled swarmlab.owner=$OWNER"
}

# The body of POST /swarm/join. Every value was checked against a pattern without quotes or
# backslashes, so printf (a builtin: no process, no command line) can write the JSON as it is.
join_request() {
  local advertise_addr=$1 join_addr=$2 token=$3
  printf '{"ListenAddr":"%s:%s","AdvertiseAddr":"%s","RemoteAddrs":["%s"],"JoinToken":"%s"}' \
    "$advertise_addr" "$SWARM_PORT" "$advertise_addr" "$join_addr" "$token"
}

# Prints dockerd's answer, then a line with the HTTP status.
post_join() {
  join_request "$@" | curl -sS --max-time 120 --unix-socket "$DOCKER_SOCKET" \
    -H 'Content-Type: application/json' --data-binary @- -w '\n%{http_code}' \
    http://localhost/swarm/join
}

# One join attempt. A timed-out join goes on in the background (state "pending"): then wait for
# it instead of starting another one.
try_join() {
  local join_addr=$2 output status
  case "$(local_node_state)" in
  active | locked) return 0 ;;
  pending) return 1 ;;
  esac
  if ! output=$(post_join "$@" 2>&1); then
    log "join via $join_addr: the request to dockerd failed: $(printf '%s' "$output" | redact_tokens)"
    return 1
  fi
  status=${output##*$'\n'}
  [ "$status" = 200 ] && return 0
  log "join via $join_addr failed (HTTP $status): $(printf '%s' "${output%$'\n'*}" | redact_tokens)"
  return 1
}

join_swarm() {
  local deadline_seconds=${SWARM_JOIN_DEADLINE_SECONDS:-900} advertise_addr join_addr token role
  local deadline delay=5
  if in_swarm; then
    log "this node is already in a swarm; not joining"
    return 0
  fi
  advertise_addr=$(advertise_address)
  join_addr=$(meta swarm_join_addr)
  token=$(meta swarm_token)
  role=$(meta swarm_role)
  # cloud-init's instance data is what the metadata held at boot: waiting would not change it.
  if [ -z "$join_addr" ] || [ -z "$token" ]; then
    die "metadata swarm_join_addr/swarm_token is absent; the Pulumi program sets both, from manager-0's bootstrap, when it creates this server (recreate the server)"
  fi
  [[ "$join_addr" =~ $JOIN_ADDR_PATTERN ]] || die "metadata swarm_join_addr '$join_addr' is not an address:port"
  [[ "$token" =~ $TOKEN_PATTERN ]] || die "metadata swarm_token is not a swarm join token (SWMTKN-...)"
  command -v curl >/dev/null || apt_install curl
  deadline=$(($(date +%s) + deadline_seconds))
  log "joining the swarm at $join_addr as $role (advertising and listening on $advertise_addr)"
  # Backoff: manager-0 may still be starting, or a security group rule may not be in place yet.
  until try_join "$advertise_addr" "$join_addr" "$token"; do
    if (($(date +%s) >= deadline)); then
      die "could not join the swarm at $join_addr within ${deadline_seconds}s (check that TCP 2377 is open between nodes)"
    fi
    sleep "$delay"
    delay=$(next_delay "$delay")
  done
  log "joined the swarm: $(local_node_state)"
}

# A replacement server on a reused volume finds the old server's swarm state (TLS key, on a
# manager the Raft log) set aside by storage-prepare.sh. Once this server is in the swarm as
# itself that state has no use, and it must not linger on the volume.
remove_previous_server_state() {
  local previous=${DOCKER_DATA_ROOT:-/var/lib/docker}/swarm.previous-server
  [ -e "$previous" ] || return 0
  rm -rf "$previous"
  log "removed $previous (the swarm state of this volume's previous server)"
}

main() {
  local init
  # Assigned, not tested inline: a failed query must stop here, not make manager-0 a joiner.
  init=$(meta swarm_init)
  case "$init" in
  true) init_swarm ;;
  false) join_swarm ;;
  *) die "metadata swarm_init is '${init}', expected true or false; the Pulumi program sets it on every server" ;;
  esac
  remove_previous_server_state
}

main "$@"
