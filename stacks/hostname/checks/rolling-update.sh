#!/bin/sh
# Check "rolling-update": the service's last update finished, and it replaced the old tasks one
# at a time: each slot's new task was started only once the previous slot's new task was running
# (the lab: a rolling update with update_config parallelism 1).
#
#   SERVICE  a replicated swarm service, e.g. hostname_web (required)
#
# Read from the service's update status and its task history (docker service inspect, docker
# service ps, docker inspect of its tasks), so read-only. Times are the swarm's own (a task's
# creation by the manager, its Running state as its node reported it); up to 1 s of clock skew
# between nodes is allowed. Prints one JSON line {check, status, message, evidence} and exits 0
# whether the check passes or fails; non-zero only when it cannot run.
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=rolling-update
SKEW_MS=1000
: "${SERVICE:?SERVICE must name the service to check, e.g. hostname_web}"
require_manager
if ! update=$(docker service inspect "$SERVICE" --format '{{if .UpdateStatus}}{{.UpdateStatus.State}} {{if .UpdateStatus.StartedAt}}{{.UpdateStatus.StartedAt.UnixMilli}}{{end}}{{end}}' 2>&1); then
  result fail "The service $SERVICE does not exist: deploy its stack first (docker stack ls lists what runs)." \
    "{\"service\":$(json_str "$SERVICE"),\"error\":$(json_str "$update")}"
  exit 0
fi
state=${update%% *}
started=${update#"$state"}
started=${started# }
started=${started:-0}
evidence="{\"service\":$(json_str "$SERVICE"),\"update\":$(json_str "${state:-none}")"
case $state in
'')
  result fail "$SERVICE has not been updated since it was created: roll out a change (docker service update --image NEW_IMAGE $SERVICE) and run the check again when it is done." "$evidence}"
  exit 0
  ;;
updating)
  result fail "The update of $SERVICE is still rolling out: run the check again when docker service inspect $SERVICE shows it completed." "$evidence}"
  exit 0
  ;;
completed) ;;
*)
  result fail "The last update of $SERVICE did not complete (its state is $state): docker service inspect $SERVICE --format '{{.UpdateStatus.Message}}' says why; fix it and update again." "$evidence}"
  exit 0
  ;;
esac

ids=$(docker service ps "$SERVICE" -q --no-trunc)
# "slot created-ms running-ms desired state image" per task (ids: single hex words).
# shellcheck disable=SC2086
tasks=$(docker inspect --format '{{.Slot}} {{.CreatedAt.UnixMilli}} {{.Status.Timestamp.UnixMilli}} {{.DesiredState}} {{.Status.State}} {{.Spec.ContainerSpec.Image}}' $ids)
# The running task of each slot, oldest first, with the image its slot ran before the update:
# "slot created running image old-image" (old-image "-" when the slot kept no older task).
rows=$(printf '%s\n' "$tasks" | awk -v start="$started" '
  NF >= 6 && $2 < start { old[$1] = $6 }
  NF >= 6 && $4 == "running" && $5 == "running" { cur[$1] = $2 " " $3 " " $6 }
  END { for (s in cur) print s, cur[s], ((s in old) ? old[s] : "-") }' | sort -n -k 2)
evidence="$evidence,\"replaced\":[$(printf '%s\n' "$rows" | awk -v start="$started" 'NF {
  gsub(/["\\]/, "")
  printf "%s{\"slot\":%s,\"from\":\"%s\",\"to\":\"%s\",\"started_s\":%.1f,\"running_s\":%.1f}", (c++ ? "," : ""), $1, $5, $4, ($2 - start) / 1000, ($3 - start) / 1000
}')]"
# Slots whose running task predates the update (never replaced), and the slots whose new task
# started before the previous slot's new task was running (replaced together).
kept=$(printf '%s\n' "$rows" | awk -v start="$started" 'NF && $2 < start { printf "%s%s", (c++ ? ", " : ""), $1 }')
overlaps=$(printf '%s\n' "$rows" | awk -v skew="$SKEW_MS" 'NF {
  if (n++ && $2 + skew < prev) printf "%s%s and %s", (c++ ? ", " : ""), pslot, $1
  prev = $3; pslot = $1
}')
count=$(printf '%s\n' "$rows" | awk 'NF { c++ } END { print c + 0 }')
evidence="$evidence}"

if [ "$count" -eq 0 ]; then
  result fail "No task of $SERVICE is running: see why with docker service ps $SERVICE --no-trunc." "$evidence"
elif [ -n "$kept" ]; then
  result fail "The last update of $SERVICE did not replace the task(s) of slot(s) $kept: roll out a change that touches every task (docker service update --image NEW_IMAGE $SERVICE) and run the check again." "$evidence"
elif [ -n "$overlaps" ]; then
  result fail "The update of $SERVICE replaced slots $overlaps at the same time, not one at a time: set update_config parallelism to 1 (docker service update --update-parallelism 1 $SERVICE), update again and run the check again." "$evidence"
else
  result pass "$SERVICE was updated one task at a time: its $count tasks were replaced in turn, each new one running before the next started." "$evidence"
fi
