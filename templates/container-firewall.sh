#!/usr/bin/env bash
# Keeps containers away from what only the host may talk to. Container traffic leaves with the
# node's address, so without these rules any container could read the instance metadata (on
# managers 1..N it holds the MANAGER join token) and reach the swarm's control ports, which the
# cluster security group opens to every member node. Rejected for traffic from containers:
#   - the metadata service, 169.254.169.254;
#   - swarm control 2377/tcp, gossip 7946/tcp+udp and VXLAN 4789/udp, on any address (so on the
#     cluster's addresses too, whatever the network): no container needs them.
# Docker's own swarm traffic comes from the host itself (OUTPUT), not through these chains.
#
# Run by docker.service as ExecStartPost (the drop-in docker-container-firewall.conf), so the rules
# are back whenever dockerd (re)starts and has rebuilt its own chains; docker-install.sh runs it
# once more after the start. Idempotent: our rules live in their own chain, flushed and refilled,
# hooked once into DOCKER-USER (forwarded traffic) and into INPUT for Docker's bridges (a
# container reaching its own host's address).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=container-firewall

CHAIN=SWARMLAB-CONTAINERS
METADATA_ADDRESS=169.254.169.254
# Docker's bridges: the default one, the one of overlay networks' containers, user-defined ones.
CONTAINER_INTERFACES=(docker0 docker_gwbridge br-+)

# -w: wait for the xtables lock dockerd may hold while it sets up its own rules.
ipt() {
  iptables -w "$@"
}

# hook CHAIN RULE...: insert RULE at the top of CHAIN unless it is already there.
hook() {
  local chain=$1
  shift
  ipt -C "$chain" "$@" 2>/dev/null || ipt -I "$chain" 1 "$@"
}

main() {
  # dockerd creates DOCKER-USER and jumps to it from FORWARD; with `iptables: false` in
  # daemonConfig it does not, and then this script does.
  ipt -N DOCKER-USER 2>/dev/null || true
  hook FORWARD -j DOCKER-USER
  ipt -N "$CHAIN" 2>/dev/null || ipt -F "$CHAIN"
  ipt -A "$CHAIN" -d "$METADATA_ADDRESS" -j REJECT
  ipt -A "$CHAIN" -p tcp -m multiport --dports 2377,7946 -j REJECT --reject-with tcp-reset
  ipt -A "$CHAIN" -p udp -m multiport --dports 7946,4789 -j REJECT
  hook DOCKER-USER -j "$CHAIN"
  local interface
  for interface in "${CONTAINER_INTERFACES[@]}"; do
    hook INPUT -i "$interface" -j "$CHAIN"
  done
  log "containers are kept from $METADATA_ADDRESS and the swarm ports (chain $CHAIN)"
}

main "$@"
