#!/usr/bin/env bash
# Usage: scripts/preview-summary/run-previews.sh OUTDIR STACK...
#
# Previews each stack with the class policy pack and keeps what `npm run preview-summary` reads:
# OUTDIR/<stack>.json (stdout, the JSON digest), .log (stderr: policy violations and errors are
# only printed there) and .exit (the exit status: a policy failure still prints a full digest).
# One stack after another: previews of one class share the backend and OpenStack's API limits.
# A failed preview does not stop the others; the exit status is 1 when any failed.
set -uo pipefail

out=${1:?usage: run-previews.sh OUTDIR STACK...}
shift
mkdir -p "$out"

status=0
for stack in "$@"; do
  # policy/config.json: the teacher's settings of the class rules (largest flavor, most nodes, ...).
  pulumi preview --stack "$stack" --json --non-interactive \
    --policy-pack policy --policy-pack-config policy/config.json \
    >"$out/$stack.json" 2>"$out/$stack.log"
  code=$?
  echo "$code" >"$out/$stack.exit"
  echo "$stack: pulumi preview exited with status $code"
  if ((code != 0)); then status=1; fi
done
exit "$status"
