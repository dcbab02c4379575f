#!/bin/sh
# Check "spread": the running replicas of a service are spread over at least MIN_NODES nodes
# (the lab: "validate that its instances are spreading across the farm").
#
#   SERVICE    the swarm service, e.g. hostname_web (required)
#   MIN_NODES  how many different nodes must run a replica (default 2)
#
# Read-only (docker service ps, docker node ls). Prints one JSON line {check, status, message,
# evidence} and exits 0 whether the check passes or fails; non-zero only when it cannot run
# (a parameter missing, or not on a manager of a swarm).
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=spread
: "${SERVICE:?SERVICE must name the service to check, e.g. hostname_web}"
MIN_NODES=${MIN_NODES:-2}
case $MIN_NODES in '' | *[!0-9]*)
  echo "$CHECK: MIN_NODES must be a whole number, not '$MIN_NODES'" >&2
  exit 2
  ;;
esac
require_manager

if ! tasks=$(docker service ps "$SERVICE" --filter desired-state=running --format '{{.Node}}|{{.CurrentState}}' 2>&1); then
  result fail "The service $SERVICE does not exist: deploy its stack first (docker stack ls lists what runs)." \
    "{\"service\":$(json_str "$SERVICE"),\"error\":$(json_str "$tasks")}"
  exit 0
fi
# "alice-worker-0 2" per node with a Running task, sorted by node.
per_node=$(printf '%s\n' "$tasks" | awk -F'|' '$2 ~ /^Running/ { n[$1]++ } END { for (k in n) print k, n[k] }' | sort)
nodes=$(printf '%s\n' "$per_node" | awk 'NF { c++ } END { print c + 0 }')
running=$(printf '%s\n' "$per_node" | awk 'NF { s += $2 } END { print s + 0 }')
names=$(printf '%s\n' "$per_node" | awk 'NF { printf "%s%s", (c++ ? ", " : ""), $1 }')
by_node=$(printf '%s\n' "$per_node" | awk 'NF { gsub(/["\\]/, ""); printf "%s\"%s\":%s", (c++ ? "," : ""), $1, $2 }')
evidence="{\"service\":$(json_str "$SERVICE"),\"min_nodes\":$MIN_NODES,\"running\":$running,\"nodes\":{$by_node}}"

if [ "$running" -eq 0 ]; then
  result fail "No replica of $SERVICE is running: see why with docker service ps $SERVICE --no-trunc." "$evidence"
elif [ "$nodes" -ge "$MIN_NODES" ]; then
  result pass "$SERVICE runs $running replicas on $nodes nodes ($names): at least $MIN_NODES, as the lab asks." "$evidence"
else
  result fail "$SERVICE runs $running replicas on only $nodes node(s) ($names), and the lab asks for at least $MIN_NODES: scale it up (docker service scale $SERVICE=$MIN_NODES) and check with docker node ls that enough nodes are Ready and Active." "$evidence"
fi
