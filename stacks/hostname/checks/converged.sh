#!/bin/sh
# Check "converged": every service of a stack runs as many tasks as it asks for (the lab:
# "validate with docker stack ps that you have three containers running").
#
#   STACK  the stack, e.g. hostname (required)
#
# Read-only (docker service ls, docker node ls). Prints one JSON line {check, status, message,
# evidence} and exits 0 whether the check passes or fails; non-zero only when it cannot run
# (a parameter missing, or not on a manager of a swarm).
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=converged
: "${STACK:?STACK must name the stack to check, e.g. hostname}"
require_manager

# "hostname_web 3/3" (a global service too; "2/2 (max 1 per node)" with a per-node limit).
rows=$(docker service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}} {{.Replicas}}')
if [ -z "$rows" ]; then
  result fail "The stack $STACK has no services: deploy it first (docker stack ls lists what runs)." \
    "{\"stack\":$(json_str "$STACK"),\"services\":{}}"
  exit 0
fi
services=$(printf '%s\n' "$rows" | awk 'NF { gsub(/["\\]/, ""); printf "%s\"%s\":\"%s\"", (c++ ? "," : ""), $1, $2 }')
total=$(printf '%s\n' "$rows" | awk 'NF { c++ } END { print c + 0 }')
# The services whose running count is not the desired one, "hostname_web 1/3" each.
behind=$(printf '%s\n' "$rows" | awk 'NF { split($2, r, "/"); if (r[1] != r[2]) printf "%s%s %s", (c++ ? ", " : ""), $1, $2 }')
evidence="{\"stack\":$(json_str "$STACK"),\"services\":{$services}}"

if [ -z "$behind" ]; then
  result pass "All $total services of the stack $STACK run every task they ask for." "$evidence"
else
  first=$(printf '%s\n' "$behind" | sed 's/ .*//')
  result fail "The stack $STACK has not converged: $behind running/wanted. See why with docker service ps $first --no-trunc." "$evidence"
fi
