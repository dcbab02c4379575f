#!/usr/bin/env bash
# Deploys swarmlab's registry (the swarm stack `swarmlab-registry`) from manager-0 and waits until
# it answers over TLS: GET /v2/ verified against the lab CA is 401 without credentials and 200
# with them. Run over SSH as `bash -s -- TIMEOUT ENDPOINT IMAGE` with lib.sh and the files of
# infra/registry/registry-files.ts (compose text, certificate, key, htpasswd, CA, curl config)
# on stdin. On the deadline it says which step failed (not listening, TLS handshake, certificate
# not matching the address, not signed by the lab CA, auth refused) and quotes the service's task
# errors; an image that cannot be pulled fails at once, naming swarmlab:registryImage.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=registry

TIMEOUT=${1:?usage: registry-deploy.sh TIMEOUT ENDPOINT IMAGE}
ENDPOINT=${2:?usage: registry-deploy.sh TIMEOUT ENDPOINT IMAGE}
IMAGE=${3:?usage: registry-deploy.sh TIMEOUT ENDPOINT IMAGE}
STACK=swarmlab-registry
SERVICE=${STACK}_registry
IMAGE_KEY=swarmlab:registryImage
PULL_ERROR='No such image|pull access denied|manifest unknown|not found|failed to resolve reference|error pulling image|toomanyrequests|unauthorized'

workdir=$(mktemp -d)
trap 'as_root rm -rf "$workdir"' EXIT
write_payload_file compose "$workdir/registry-compose.yaml" 0600
write_payload_file crt "$workdir/registry.crt" 0600
write_payload_file key "$workdir/registry.key" 0600
write_payload_file htpasswd "$workdir/htpasswd" 0600
write_payload_file ca "$workdir/ca.crt" 0644
write_payload_file curlrc "$workdir/curlrc" 0600

# The service's tasks, newest first: name, node, state, error (untruncated).
task_report() {
  docker_probe service ps --no-trunc --format '{{.Name}} on {{.Node}}: {{.CurrentState}} {{.Error}}' "$SERVICE" 2>&1 | head -n 5
}

# Fails at once when the newest task cannot get its image: waiting longer changes nothing.
check_image_pullable() {
  local newest
  newest=$(docker_probe service ps --no-trunc --format '{{.Error}}' "$SERVICE" 2>/dev/null | head -n 1)
  if [ -n "$newest" ] && grep -Eqi "$PULL_ERROR" <<<"$newest"; then
    die "the registry image ${IMAGE} cannot be pulled on manager-0: ${newest}. Set ${IMAGE_KEY} to an image your nodes can pull (e.g. a copy of registry:2 in your cloud's own registry): pulumi config set ${IMAGE_KEY} <image>"
  fi
}

LAST_PROBLEM="no probe ran yet"

# One probe: 401 without credentials, then 200 with them. Sets LAST_PROBLEM to the failed step.
probe() {
  local code status=0 message
  code=$(curl -sS --max-time 5 --cacert "$workdir/ca.crt" -o /dev/null -w '%{http_code}' \
    "https://${ENDPOINT}/v2/" 2>"$workdir/curl.err") || status=$?
  message=$(tr '\n' ' ' <"$workdir/curl.err")
  case "$status" in
  0) ;;
  7 | 28)
    LAST_PROBLEM="not listening: nothing answers on ${ENDPOINT} (${message})"
    return 1
    ;;
  35 | 56)
    LAST_PROBLEM="TLS handshake with ${ENDPOINT} failed (${message})"
    return 1
    ;;
  51 | 60)
    if grep -Eqi 'subject name|does not match|alternative' <<<"$message"; then
      LAST_PROBLEM="the registry's certificate does not match the address ${ENDPOINT%:*} (${message}); its SANs come from infra/ca/sans.ts"
    else
      LAST_PROBLEM="the registry's certificate is not signed by the lab CA (${message})"
    fi
    return 1
    ;;
  *)
    LAST_PROBLEM="GET https://${ENDPOINT}/v2/ failed: curl exit ${status} (${message})"
    return 1
    ;;
  esac
  if [ "$code" != 401 ]; then
    LAST_PROBLEM="GET /v2/ without credentials answered HTTP ${code}, not 401: the registry does not ask for authentication"
    return 1
  fi
  code=$(curl -sS --max-time 5 --cacert "$workdir/ca.crt" -K "$workdir/curlrc" -o /dev/null \
    -w '%{http_code}' "https://${ENDPOINT}/v2/" 2>/dev/null) || true
  if [ "$code" != 200 ]; then
    LAST_PROBLEM="auth refused: GET /v2/ with the registry credentials answered HTTP ${code}, not 200 (htpasswd and password out of step?)"
    return 1
  fi
}

answering() {
  check_image_pullable
  probe
}

log "deploying stack ${STACK} (image ${IMAGE})"
(cd "$workdir" && as_root docker stack deploy --prune --resolve-image never \
  -c registry-compose.yaml "$STACK" >&2) || die "docker stack deploy of ${STACK} failed (its error is above)"

if ! wait_until "$TIMEOUT" "the registry to answer over TLS at ${ENDPOINT} (401 without, 200 with credentials)" answering; then
  die "the registry did not answer by the deadline: ${LAST_PROBLEM}. Tasks of ${SERVICE} (docker service ps --no-trunc):
$(task_report)"
fi

# Secrets of earlier certificates and passwords: in use ones are refused, which is fine.
for secret in $(docker_probe secret ls --filter "name=swarmlab-registry-" --format '{{.Name}}'); do
  docker_probe secret rm "$secret" >/dev/null 2>&1 || true
done
log "registry answering over TLS at ${ENDPOINT}"
