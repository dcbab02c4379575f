#!/bin/sh
# Check "overlay-mtu": an overlay network of the lab carries the MTU the cloud's network needs
# (its com.docker.network.driver.mtu option equals EXPECTED_MTU). Without it Docker uses 1500,
# and on a cloud network with a smaller MTU large packets between nodes are lost.
#
#   NETWORK       the network, e.g. counter_default (required)
#   EXPECTED_MTU  the value the option must have (required; the class tool gives the stack
#                 output overlayMtu, the value swarmlab writes into the stacks' networks)
#
# Read-only (docker network inspect, docker node ls). Prints one JSON line {check, status,
# message, evidence} and exits 0 whether the check passes or fails; non-zero only when it
# cannot run (a parameter missing, or not on a manager of a swarm).
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=overlay-mtu
: "${NETWORK:?NETWORK must name the network to check, e.g. counter_default}"
: "${EXPECTED_MTU:?EXPECTED_MTU must be the MTU the network option must have, e.g. 1450}"
require_manager
# "overlay 1450", or "overlay <no value>" when the option is not set.
if ! found=$(docker network inspect "$NETWORK" --format '{{.Driver}} {{index .Options "com.docker.network.driver.mtu"}}' 2>&1); then
  result fail "The network $NETWORK does not exist: deploy the stack that declares it first (docker network ls lists the networks)." \
    "{\"network\":$(json_str "$NETWORK"),\"error\":$(json_str "$found")}"
  exit 0
fi
driver=${found%% *}
mtu=${found#"$driver" }
[ "$mtu" != "<no value>" ] || mtu=""
evidence="{\"network\":$(json_str "$NETWORK"),\"driver\":$(json_str "$driver"),\"mtu_option\":$(json_str "$mtu"),\"expected\":$(json_str "$EXPECTED_MTU")}"
if [ "$driver" != overlay ]; then
  result fail "The network $NETWORK uses the $driver driver, not overlay: declare it with driver: overlay so that tasks on different nodes can talk." "$evidence"
elif [ -z "$mtu" ]; then
  result fail "The network $NETWORK sets no MTU, so Docker uses 1500: add driver_opts com.docker.network.driver.mtu: \"$EXPECTED_MTU\" to it and deploy again." "$evidence"
elif [ "$mtu" = "$EXPECTED_MTU" ]; then
  result pass "The network $NETWORK has the MTU option $mtu, as the cloud network needs." "$evidence"
else
  result fail "The network $NETWORK has the MTU option $mtu, but the lab needs $EXPECTED_MTU: set driver_opts com.docker.network.driver.mtu: \"$EXPECTED_MTU\" and deploy again (a network is changed by removing and recreating it)." "$evidence"
fi
