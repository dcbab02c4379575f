#!/usr/bin/env bash
# Usage: scripts/preview-summary/run-previews.sh OUTDIR STACK...
#
# Previews each stack with the class policy pack and keeps what `npm run preview-summary` reads:
# OUTDIR/<stack>.json (stdout, the JSON digest), .events.jsonl (the engine's event stream: the
# only place a --json preview keeps policy violations), .log (stderr: errors) and .exit (the exit
# status: a policy failure still prints a full digest).
# One stack after another: previews of one class share the backend and OpenStack's API limits.
# A failed preview does not stop the others; the exit status is 1 when any failed.
set -uo pipefail

out=${1:?usage: run-previews.sh OUTDIR STACK...}
shift
mkdir -p "$out"
pack=${SWARMLAB_POLICY_PACK:-policy}

status=0
for stack in "$@"; do
  # A stack file added in this pull request has no stack in the backend yet, and a
  # non-interactive `preview --stack` then stops at "no stack named '<stack>' found". `stack
  # select --create` creates it (with the default secrets provider, the passphrase here) and only
  # selects a stack that exists (pulumi/pulumi pkg/cmd/pulumi/stack/stack_select.go).
  if ! pulumi stack select --create --non-interactive "$stack" >"$out/$stack.log" 2>&1; then
    echo 1 >"$out/$stack.exit"
    : >"$out/$stack.json"
    echo "$stack: could not select or create the stack (see $out/$stack.log)"
    status=1
    continue
  fi
  # policy/config.json: the teacher's settings of the class rules (largest flavor, most nodes, ...).
  # CI sets SWARMLAB_POLICY_PACK to the base branch's copy of the pack (protected/policy), so a
  # pull request is judged by the rules it targets, not by its own edit of them.
  # --event-log is among the CLI's debug flags, registered only with PULUMI_DEBUG_COMMANDS=true
  # (pkg/cmd/pulumi/operations/preview.go); --color never keeps colour codes out of its messages.
  PULUMI_DEBUG_COMMANDS=true pulumi preview --stack "$stack" --json --non-interactive \
    --color never --event-log "$out/$stack.events.jsonl" \
    --policy-pack "$pack" --policy-pack-config "$pack/config.json" \
    >"$out/$stack.json" 2>>"$out/$stack.log"
  code=$?
  echo "$code" >"$out/$stack.exit"
  echo "$stack: pulumi preview exited with status $code"
  if ((code != 0)); then status=1; fi
done
exit "$status"
