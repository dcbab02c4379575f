#!/usr/bin/env bash
# The local cloud's forwarder of one port a stack publishes (infra/stacks/local-port-forwarder.ts):
# it runs in a small container on the lab network whose port is published on 127.0.0.1, and
# hands each connection to the first node that accepts it. A node without a task of a host-mode
# port refuses at once, so the connection goes to one that has it; with the routing mesh any
# node answers, and a node that is down is passed over.
#   local-port-forward.sh tcp LISTEN_PORT TARGET_PORT NODE_ADDRESS...   (nodes in order)
#   local-port-forward.sh udp LISTEN_PORT TARGET_PORT NODE_ADDRESS      (datagrams to one node)
# Internally, once per TCP connection: local-port-forward.sh connect TARGET_PORT NODE_ADDRESS...
set -euo pipefail

CONNECT_TIMEOUT_SECONDS=3

usage() {
  echo "usage: $0 tcp|udp LISTEN_PORT TARGET_PORT NODE_ADDRESS..." >&2
  exit 2
}

[ "$#" -ge 3 ] || usage
mode=$1
shift
case "$mode" in
  connect)
    port=$1
    shift
    for address in "$@"; do
      # socat opens the node before it reads a byte of the client: a refused node costs nothing.
      if socat STDIO "TCP:${address}:${port},connect-timeout=${CONNECT_TIMEOUT_SECONDS}"; then
        exit 0
      fi
    done
    echo "local-port-forward: no node accepted port ${port} (tried $*)" >&2
    exit 1
    ;;
  tcp)
    [ "$#" -ge 3 ] || usage
    listen=$1
    target=$2
    shift 2
    # EXEC splits its command on spaces: the addresses and ports hold none, nor ':' or ','.
    exec socat "TCP-LISTEN:${listen},fork,reuseaddr" "EXEC:/bin/bash $0 connect ${target} $*"
    ;;
  udp)
    [ "$#" -eq 3 ] || usage
    exec socat "UDP-RECVFROM:$1,fork" "UDP-SENDTO:$3:$2"
    ;;
  *)
    usage
    ;;
esac
