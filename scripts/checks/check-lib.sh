# shellcheck shell=sh
# Sent before every lab check (plan.ts checkScript: the variables, this, then the check), so a
# check in stacks/<lab>/checks/ or a teacher's own needs no copy of it. A check sets CHECK (its
# name) before it calls these:
#   json_str TEXT                    TEXT as a JSON string (control characters dropped)
#   result STATUS MESSAGE EVIDENCE   the check's one JSON line; EVIDENCE is a JSON object
#   require_manager                  exits 2 (the check cannot run) unless this node manages a swarm
# CHECK is the check's own assignment, made after this file and read when a function runs.
# shellcheck disable=SC2154
json_str() { printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
result() { printf '{"check":"%s","status":"%s","message":%s,"evidence":%s}\n' "$CHECK" "$1" "$(json_str "$2")" "$3"; }
require_manager() {
  if ! docker node ls -q >/dev/null; then
    echo "$CHECK: docker node ls failed: run the check on a manager of the swarm" >&2
    exit 2
  fi
}
