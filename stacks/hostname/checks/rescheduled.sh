#!/bin/sh
# Check "rescheduled": a node was drained or lost, and the service's tasks that ran on it run on
# other nodes now (the lab: "validate that when a node goes down a new instance is launched").
#
#   SERVICE  a replicated swarm service, e.g. hostname_web (required)
#
# A node counts as gone when it is not Ready (Down, Unknown), is drained, or has left the swarm
# (a task names a node docker node ls no longer lists). Read from the task history (docker
# service ps, docker inspect of its tasks, docker node ls), so read-only. Prints one JSON line
# {check, status, message, evidence} and exits 0 whether the check passes or fails; non-zero
# only when it cannot run (a parameter missing, or not on a manager of a swarm).
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=rescheduled
: "${SERVICE:?SERVICE must name the service to check, e.g. hostname_web}"
if ! nodes=$(docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}} {{.Availability}}'); then
  echo "$CHECK: docker node ls failed: run the check on a manager of the swarm" >&2
  exit 2
fi
if ! ids=$(docker service ps "$SERVICE" -q --no-trunc 2>&1); then
  result fail "The service $SERVICE does not exist: deploy its stack first (docker stack ls lists what runs)." \
    "{\"service\":$(json_str "$SERVICE"),\"error\":$(json_str "$ids")}"
  exit 0
fi
tasks=""
if [ -n "$ids" ]; then
  # Task ids are single words of hex digits: splitting them into arguments is what is meant.
  # shellcheck disable=SC2086
  tasks=$(docker inspect --format '{{.Slot}} {{.NodeID}} {{.DesiredState}} {{.Status.State}}' $ids)
fi

# One awk over both listings: "N id host status availability" then "T slot node desired state".
# Out: "gone <host> <why>", "moved <slot> <from> <to>", "waiting <slot> <from>" lines.
report=$({
  printf '%s\n' "$nodes" | sed 's/^/N /'
  printf '%s\n' "$tasks" | sed 's/^/T /'
} | awk '
  $1 == "N" && NF >= 5 {
    host[$2] = $3
    if ($4 != "Ready") why[$2] = $4; else if ($5 == "Drain") why[$2] = "Drain"
    next
  }
  $1 == "T" && NF >= 5 {
    slot = $2; node = $3
    if (!(node in host)) { host[node] = substr(node, 1, 12); why[node] = "left" }
    if (node in why) { if (!(slot in from)) from[slot] = node; seen[node] = 1 }
    if ($4 == "running" && $5 == "running" && !(node in why)) to[slot] = node
  }
  END {
    for (n in seen) print "gone", host[n], why[n]
    for (n in why) if (!(n in seen)) print "idle", host[n], why[n]
    for (s in from) {
      if (s in to) print "moved", s, host[from[s]], host[to[s]]
      else print "waiting", s, host[from[s]]
    }
  }' | sort)

gone=$(printf '%s\n' "$report" | awk '$1 == "gone" || $1 == "idle" { printf "%s%s (%s)", (c++ ? ", " : ""), $2, $3 }')
gone_json=$(printf '%s\n' "$report" | awk '$1 == "gone" || $1 == "idle" { gsub(/["\\]/, ""); printf "%s{\"node\":\"%s\",\"state\":\"%s\",\"ran_tasks\":%s}", (c++ ? "," : ""), $2, $3, ($1 == "gone" ? "true" : "false") }')
moved_json=$(printf '%s\n' "$report" | awk '$1 == "moved" { gsub(/["\\]/, ""); printf "%s{\"slot\":%s,\"from\":\"%s\",\"to\":\"%s\"}", (c++ ? "," : ""), $2, $3, $4 }')
waiting=$(printf '%s\n' "$report" | awk '$1 == "waiting" { printf "%s%s (was on %s)", (c++ ? ", " : ""), $2, $3 }')
waiting_json=$(printf '%s\n' "$report" | awk '$1 == "waiting" { printf "%s%s", (c++ ? "," : ""), $2 }')
moved=$(printf '%s\n' "$report" | awk '$1 == "moved" { c++ } END { print c + 0 }')
evidence="{\"service\":$(json_str "$SERVICE"),\"gone\":[$gone_json],\"moved\":[$moved_json],\"waiting\":[$waiting_json]}"

if [ -z "$gone" ]; then
  result fail "Every node is Ready and Active, so nothing had to move: drain a node that runs a task of $SERVICE (docker node update --availability drain NODE) or stop it, then run the check again." "$evidence"
elif [ "$moved" -eq 0 ] && [ -z "$waiting" ]; then
  result fail "No task of $SERVICE ever ran on $gone: drain or stop a node that runs one (docker service ps $SERVICE shows where they run)." "$evidence"
elif [ -n "$waiting" ]; then
  result fail "Slot(s) $waiting of $SERVICE have no running task on another node yet: wait a little and run the check again, or see why with docker service ps $SERVICE --no-trunc." "$evidence"
else
  result pass "$SERVICE moved off $gone: its $moved task(s) from there run on other nodes now." "$evidence"
fi
