#!/usr/bin/env bash
# swarmlab node-side helpers, sourced by every script in this folder.
#
# On a node it lives at /usr/local/lib/swarmlab/lib.sh (written by cloud-init's write_files). The
# remote scripts (swarm-*.sh run over SSH as `bash -s`) get it prepended to their stdin by
# infra/remote-scripts.ts, so they work before cloud-init has written anything.
#
# Nothing here enables `set -x`: several callers hold the swarm join token in a variable.

# Poll interval of wait_until and the pause between retries' attempts; tests shorten it.
: "${SWARMLAB_POLL_SECONDS:=3}"

# log MESSAGE...: one timestamped, prefixed line on stderr (stdout is reserved for results).
log() {
  printf '%s swarmlab[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SWARMLAB_STEP:-${0##*/}}" "$*" >&2
}

# die MESSAGE...: log the reason and stop with exit status 1.
die() {
  log "ERROR: $*"
  exit 1
}

# retry ATTEMPTS DELAY_SECONDS CMD...: run CMD until it succeeds, at most ATTEMPTS times, pausing
# DELAY_SECONDS between attempts. Returns CMD's last status after saying what failed.
retry() {
  local attempts=$1 delay=$2 attempt=1 status=0
  shift 2
  while true; do
    "$@" && return 0
    status=$?
    if ((attempt >= attempts)); then
      log "giving up after ${attempts} attempts (last exit status ${status}): $1"
      return "$status"
    fi
    log "attempt ${attempt}/${attempts} of '$1' failed (exit status ${status}); retrying in ${delay}s"
    attempt=$((attempt + 1))
    sleep "$delay"
  done
}

# wait_until DEADLINE_SECONDS DESCRIPTION CMD...: poll CMD until it succeeds or DEADLINE_SECONDS
# have passed. CMD's output is left alone: callers that poll noisy commands silence them. Returns 1
# after saying what it waited for and for how long.
wait_until() {
  local seconds=$1 description=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  log "waiting up to ${seconds}s for ${description}"
  while true; do
    if "$@"; then
      log "done waiting for ${description}"
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      log "timed out after ${seconds}s waiting for ${description}"
      return 1
    fi
    sleep "$SWARMLAB_POLL_SECONDS"
  done
}

# meta KEY: the nova instance metadata value KEY (ds.meta_data.meta.KEY) as cloud-init saw it, or
# the empty string when the key is absent. Works for the metadata service and the config drive.
meta() {
  as_root cloud-init query "ds.meta_data.meta.$1" 2>/dev/null || true
}

# as_root CMD...: run CMD as root; over SSH the remote scripts run as the image's user, which has
# passwordless sudo (-n: fail instead of prompting, there is no terminal).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo -n "$@"
  fi
}

# apt_install PACKAGE...: install Debian packages non-interactively, without Recommends (docker.io
# would pull git, perl and binutils: ~10 s more per node), with bounded retries (mirrors
# and the apt lock held by unattended-upgrades at first boot are the usual transient failures).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  retry 5 10 as_root apt-get -q -o DPkg::Lock::Timeout=300 update ||
    die "apt-get update failed 5 times; check the node's DNS and route to the package mirror"
  retry 5 10 as_root apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "$@" ||
    die "apt-get install $* failed 5 times; see the apt output above"
}

# apt_offers PACKAGE: true when apt would install PACKAGE: it has a candidate version (lists must
# be fresh, as after apt_install) and the package is not on hold.
apt_offers() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] || return 1
  ! dpkg --get-selections "$1" 2>/dev/null | grep -qw hold
}

# redact_tokens: copy stdin to stdout with swarm join tokens masked; for error output of docker
# commands that were given a token, which must never reach a log.
redact_tokens() {
  sed -E 's/SWMTKN-[A-Za-z0-9-]+/SWMTKN-<redacted>/g'
}

# load_node_env: read /etc/swarmlab/node.env (written by cloud-init) into the environment.
load_node_env() {
  local env_file=${SWARMLAB_NODE_ENV:-/etc/swarmlab/node.env}
  [ -r "$env_file" ] || die "$env_file is missing; it is written by cloud-init's write_files"
  # shellcheck source=/dev/null
  . "$env_file"
}
