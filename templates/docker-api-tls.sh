#!/usr/bin/env bash
# Turns on the Docker API over mutual TLS on this manager (port 2376; nothing on 2375): installs
# the lab CA, the manager's server certificate and key under /etc/docker/tls (certificates 0444,
# the key 0400: CIS Docker Benchmark 3.10-3.14),
# merges the `hosts` and `tls*` keys into /etc/docker/daemon.json, writes the docker.service
# drop-in that clears `-H fd://`, and restarts dockerd only when something changed. Then waits
# until dockerd answers with the swarm active and 2376 is listening. Run over SSH as
# `bash -s -- TIMEOUT` with lib.sh and the files of infra/ca/docker-api.ts on stdin.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=docker-api-tls

TIMEOUT=${1:?usage: docker-api-tls.sh TIMEOUT}
TLS_DIR=/etc/docker/tls
DAEMON_JSON=/etc/docker/daemon.json
DROPIN=/etc/systemd/system/docker.service.d/swarmlab-api-tls.conf

workdir=$(mktemp -d)
trap 'as_root rm -rf "$workdir"' EXIT
write_payload_file ca "$workdir/ca.pem" 0644
write_payload_file cert "$workdir/server-cert.pem" 0644
write_payload_file key "$workdir/server-key.pem" 0600
write_payload_file daemon_keys "$workdir/daemon-keys.json" 0644
write_payload_file dropin "$workdir/dropin.conf" 0644

changed=false
# install_if_changed SOURCE DEST MODE: a new content restarts dockerd; the mode and owner are set
# either way (a node from before the 0444/0400 modes gets them without a restart).
install_if_changed() {
  if ! as_root cmp -s "$1" "$2" 2>/dev/null; then
    as_root install -D -m "$3" -o root -g root "$1" "$2"
    changed=true
  fi
  as_root chown root:root "$2"
  as_root chmod "$3" "$2"
}

install_if_changed "$workdir/ca.pem" "$TLS_DIR/ca.pem" 0444
install_if_changed "$workdir/server-cert.pem" "$TLS_DIR/server-cert.pem" 0444
install_if_changed "$workdir/server-key.pem" "$TLS_DIR/server-key.pem" 0400

# daemon.json as cloud-init wrote it, with swarmlab's API keys set (they win: validation refuses
# them in daemonConfig).
as_root cat "$DAEMON_JSON" >"$workdir/daemon.json.old" 2>/dev/null || echo '{}' >"$workdir/daemon.json.old"
python3 - "$workdir/daemon.json.old" "$workdir/daemon-keys.json" >"$workdir/daemon.json" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    config = json.load(f)
with open(sys.argv[2]) as f:
    config.update(json.load(f))
print(json.dumps(config, indent=2, sort_keys=True))
PY
install_if_changed "$workdir/daemon.json" "$DAEMON_JSON" 0644
install_if_changed "$workdir/dropin.conf" "$DROPIN" 0644

if [ "$changed" = true ]; then
  log "Docker API TLS settings changed: restarting dockerd"
  as_root systemctl daemon-reload
  as_root systemctl restart docker ||
    die "dockerd did not restart with the API TLS settings; see 'journalctl -u docker' on this manager"
fi

swarm_active() {
  [ "$(docker_probe info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]
}
api_listening() {
  as_root ss -Hltn 'sport = :2376' | grep -q . && ! as_root ss -Hltn 'sport = :2375' | grep -q .
}
wait_until "$TIMEOUT" "dockerd to answer with the swarm active" swarm_active ||
  die "dockerd does not answer with the swarm active after the API TLS restart"
wait_until "$TIMEOUT" "dockerd to listen on 2376 (and not on 2375)" api_listening ||
  die "dockerd does not listen on 2376 (or listens on 2375); see 'journalctl -u docker' on this manager"
log "Docker API listening on 2376 with mutual TLS"
