#!/usr/bin/env bash
# Run over SSH on a manager as `bash -s` (infra/stacks/stack-scripts.ts prepends the password as
# SWARMLAB_REGISTRY_PASSWORD, then lib.sh). Logs root's Docker in to the cluster's registry, so
# that stack-image.sh can push and `docker stack deploy --with-registry-auth` hands the
# credentials to the nodes that pull. The password reaches docker on stdin, never on a command line.
#
#   registry-login.sh ADDRESS USER TIMEOUT_SECONDS
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=registry-login

LAST_ERROR=""

login_once() {
  if LAST_ERROR=$(as_root docker login --username "$USER_NAME" --password-stdin "$ADDRESS" 2>&1 >/dev/null <<<"$SWARMLAB_REGISTRY_PASSWORD"); then
    return 0
  fi
  return 1
}

main() {
  exec </dev/null
  ADDRESS=${1:-}
  USER_NAME=${2:-}
  local timeout_seconds=${3:-}
  if [ -z "$ADDRESS" ] || [ -z "$USER_NAME" ] || ! [[ "$timeout_seconds" =~ ^[0-9]+$ ]]; then
    die "usage: registry-login.sh ADDRESS USER TIMEOUT_SECONDS"
  fi
  [ -n "${SWARMLAB_REGISTRY_PASSWORD:-}" ] || die "no password given (SWARMLAB_REGISTRY_PASSWORD is empty)"
  if ! wait_until "$timeout_seconds" "docker login to the registry at $ADDRESS as $USER_NAME" login_once; then
    die "docker login to $ADDRESS failed: $LAST_ERROR"
  fi
}

main "$@"
