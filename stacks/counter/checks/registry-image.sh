#!/bin/sh
# Check "registry-image": the service runs an image of the lab's registry (its image name starts
# with the registry's address), so it was built, pushed and pulled from there.
#
#   SERVICE   the swarm service, e.g. counter_web (required)
#   REGISTRY  the registry as the nodes reach it, e.g. 10.0.0.5:5000 (required; the class tool
#             gives the stack output registryInternal)
#
# Read-only (docker service inspect, docker node ls). Prints one JSON line {check, status,
# message, evidence} and exits 0 whether the check passes or fails; non-zero only when it
# cannot run (a parameter missing, or not on a manager of a swarm).
set -eu
# The name check-lib.sh (sent before this script) prints in its lines.
export CHECK=registry-image
: "${SERVICE:?SERVICE must name the service to check, e.g. counter_web}"
: "${REGISTRY:?REGISTRY must be the registry address the nodes pull from, e.g. 10.0.0.5:5000}"
require_manager
if ! image=$(docker service inspect "$SERVICE" --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' 2>&1); then
  result fail "The service $SERVICE does not exist: deploy its stack first (docker stack ls lists what runs)." \
    "{\"service\":$(json_str "$SERVICE"),\"error\":$(json_str "$image")}"
  exit 0
fi
evidence="{\"service\":$(json_str "$SERVICE"),\"registry\":$(json_str "$REGISTRY"),\"image\":$(json_str "$image")}"
case $image in
"$REGISTRY"/*)
  result pass "$SERVICE runs ${image%%@*}, an image of the lab registry $REGISTRY." "$evidence"
  ;;
*)
  result fail "$SERVICE runs ${image%%@*}, which is not from the lab registry $REGISTRY: tag the image $REGISTRY/NAME:TAG, push it (docker push $REGISTRY/NAME:TAG) and name that image in the service." "$evidence"
  ;;
esac
