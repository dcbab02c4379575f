#!/usr/bin/env bash
# A library, not a step: infra/stacks/stack-scripts.ts sends it after lib.sh and before
# stack-image.sh or swarm-stack.sh, whose run needs root's Docker logged in to the cluster's
# registry (to push; and for `docker stack deploy --with-registry-auth` to hand the credentials to
# the nodes that pull). Logging in within the same script keeps it on the manager the script runs
# on, whichever answered. The credentials come from the step's secret stdin (ManagerStep
# secretStdin) as SWARMLAB_REGISTRY_ADDRESS, SWARMLAB_REGISTRY_USER and SWARMLAB_REGISTRY_PASSWORD;
# the password reaches docker on stdin, never on a command line.

REGISTRY_LOGIN_ERROR=""

registry_login_once() {
  REGISTRY_LOGIN_ERROR=$(as_root docker login --username "$SWARMLAB_REGISTRY_USER" \
    --password-stdin "$SWARMLAB_REGISTRY_ADDRESS" 2>&1 >/dev/null <<<"$SWARMLAB_REGISTRY_PASSWORD")
}

# True when the step was given registry credentials.
registry_credentials_given() {
  [ -n "${SWARMLAB_REGISTRY_ADDRESS:-}" ] && [ -n "${SWARMLAB_REGISTRY_USER:-}" ] &&
    [ -n "${SWARMLAB_REGISTRY_PASSWORD:-}" ]
}

# registry_login TIMEOUT_SECONDS: logs root's Docker in, retrying until the deadline (the
# registry may still be starting).
registry_login() {
  local timeout_seconds=$1
  registry_credentials_given || die "no registry credentials given (SWARMLAB_REGISTRY_ADDRESS, _USER and _PASSWORD)"
  if ! wait_until "$timeout_seconds" "docker login to the registry at $SWARMLAB_REGISTRY_ADDRESS as $SWARMLAB_REGISTRY_USER" registry_login_once; then
    die "docker login to $SWARMLAB_REGISTRY_ADDRESS failed: $REGISTRY_LOGIN_ERROR"
  fi
}
