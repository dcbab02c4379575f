#!/usr/bin/env bash
# The node's registry trust step, before it joins the swarm (so before any task can land on it):
# writes the lab CA to /etc/docker/certs.d/<host>:<port>/ca.crt for every registry endpoint.
# Both come from instance metadata, set by the program on every server it creates (scale-ups and
# replacements included):
#   registry_endpoints   space-separated <host>:<port> addresses of the registry
#   registry_ca_0, _1... the base64 body of the CA certificate, in chunks of <= 255 characters
# The CA certificate is public; no private key ever travels this way. dockerd reads certs.d at
# every pull: no restart. Without the keys (a stack from before the registry) it does nothing.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=registry-trust

CERTS_DIR=${SWARMLAB_CERTS_DIR:-/etc/docker/certs.d}
ENDPOINT_PATTERN='^[A-Za-z0-9.-]+:[0-9]+$'
MAX_CHUNKS=16

ca_body() {
  local index chunk body=""
  for ((index = 0; index < MAX_CHUNKS; index++)); do
    chunk=$(meta "registry_ca_${index}")
    [ -n "$chunk" ] || break
    body+=$chunk
  done
  printf '%s' "$body"
}

main() {
  local endpoints body pem endpoint
  endpoints=$(meta registry_endpoints)
  body=$(ca_body)
  if [ -z "$endpoints" ] || [ -z "$body" ]; then
    log "no registry_endpoints or registry_ca_0 in the instance metadata: no registry to trust"
    return 0
  fi
  pem=$(printf -- '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' "$(fold -w 64 <<<"$body")")
  openssl x509 -noout <<<"$pem" 2>/dev/null ||
    die "metadata registry_ca_* does not hold a certificate; the program writes the lab CA there"
  for endpoint in $endpoints; do
    [[ "$endpoint" =~ $ENDPOINT_PATTERN ]] ||
      die "metadata registry_endpoints holds '${endpoint}', not <host>:<port>"
    as_root install -d -m 0755 "$CERTS_DIR/$endpoint"
    printf '%s\n' "$pem" | as_root tee "$CERTS_DIR/$endpoint/ca.crt" >/dev/null
    # 0444, root's (CIS Docker Benchmark 3.7, 3.8): dockerd only reads it.
    as_root chown root:root "$CERTS_DIR/$endpoint/ca.crt"
    as_root chmod 0444 "$CERTS_DIR/$endpoint/ca.crt"
    log "trusting the lab CA for $endpoint"
  done
}

main "$@"
