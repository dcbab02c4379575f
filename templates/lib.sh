#!/usr/bin/env bash
# swarmlab node-side helpers, sourced by every script in this folder.
#
# On a node it lives at /usr/local/lib/swarmlab/lib.sh (written by cloud-init's write_files). The
# remote scripts (swarm-*.sh run over SSH as `bash -s`) get it prepended to their stdin by
# infra/swarm/remote-scripts.ts, so they work before cloud-init has written anything.
#
# Nothing here enables `set -x`: several callers hold the swarm join token in a variable.

# Poll interval of wait_until; tests shorten it.
: "${SWARMLAB_POLL_SECONDS:=3}"
# How long one probe of dockerd (docker info, docker node ls) may take: a wedged dockerd must fail
# the step that asks, not hang it (and the remote command, and `pulumi up` behind it).
: "${SWARMLAB_PROBE_TIMEOUT_SECONDS:=30}"
# The longest pause of the capped exponential backoff of retry, apt_install and the swarm join.
: "${SWARMLAB_MAX_BACKOFF_SECONDS:=60}"
# apt_install's deadline and first pause. At first boot apt-daily/unattended-upgrades can hold the
# apt locks for minutes, and a package source can fail for a while: give both time to pass.
: "${SWARMLAB_APT_DEADLINE_SECONDS:=600}"
: "${SWARMLAB_APT_FIRST_DELAY_SECONDS:=5}"

# log MESSAGE...: one timestamped, prefixed line on stderr (stdout is reserved for results).
log() {
  printf '%s swarmlab[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SWARMLAB_STEP:-${0##*/}}" "$*" >&2
}

# die MESSAGE...: log the reason and stop with exit status 1.
die() {
  log "ERROR: $*"
  exit 1
}

# next_delay SECONDS: the pause after one of SECONDS, doubled up to SWARMLAB_MAX_BACKOFF_SECONDS.
next_delay() {
  local doubled=$(($1 * 2))
  echo $((doubled > SWARMLAB_MAX_BACKOFF_SECONDS ? SWARMLAB_MAX_BACKOFF_SECONDS : doubled))
}

# describe_command CMD...: CMD without the wrappers that say nothing about what runs (as_root,
# sudo -n, timeout N), for log lines. Never give it (or retry) a command holding a secret.
describe_command() {
  while (($# > 0)); do
    case "$1" in
    as_root) shift ;;
    docker_probe) set -- docker "${@:2}" ;;
    sudo) shift && [ "${1:-}" = -n ] && shift ;;
    timeout) shift 2 ;;
    *) break ;;
    esac
  done
  printf '%s' "$*"
}

# retry ATTEMPTS DELAY_SECONDS CMD...: run CMD until it succeeds, at most ATTEMPTS times, pausing
# DELAY_SECONDS after the first failure and twice as long after each next one (capped). Returns
# CMD's last status after saying what failed.
retry() {
  local attempts=$1 delay=$2 attempt=1 status=0 what
  shift 2
  what=$(describe_command "$@")
  while true; do
    "$@" && return 0
    status=$?
    if ((attempt >= attempts)); then
      log "giving up after ${attempts} attempts (last exit status ${status}): ${what}"
      return "$status"
    fi
    log "attempt ${attempt}/${attempts} of '${what}' failed (exit status ${status}); retrying in ${delay}s"
    attempt=$((attempt + 1))
    sleep "$delay"
    delay=$(next_delay "$delay")
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

# meta KEY: the nova instance metadata value KEY (ds.meta_data.meta.KEY) as cloud-init saw it at
# boot, or the empty string when the metadata has no such key. Works for the metadata service and
# the config drive. When cloud-init cannot be asked (no instance data yet, a broken install) it
# logs why and returns 2, so that `value=$(meta KEY)` under set -e stops the script with the
# reason instead of a failed query passing for an absent key. cloud-init's own errors name keys,
# never values, so its stderr is left to reach the log.
meta() {
  local keys value
  if ! keys=$(as_root cloud-init query --list-keys ds.meta_data.meta); then
    log "ERROR: cannot read the instance metadata: 'cloud-init query --list-keys ds.meta_data.meta' failed (its error is above)"
    return 2
  fi
  grep -qxF -e "$1" <<<"$keys" || return 0
  if ! value=$(as_root cloud-init query "ds.meta_data.meta.$1"); then
    log "ERROR: cannot read instance metadata $1: 'cloud-init query ds.meta_data.meta.$1' failed (its error is above)"
    return 2
  fi
  printf '%s\n' "$value"
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

# docker_probe ARGS...: `docker ARGS` as root, killed after SWARMLAB_PROBE_TIMEOUT_SECONDS (exit
# status 124), for every question asked of dockerd while a step waits on it.
docker_probe() {
  as_root timeout "$SWARMLAB_PROBE_TIMEOUT_SECONDS" docker "$@"
}

# The apt lock waits: dpkg's frontend lock, and (apt >= 2.1) the lists lock of `apt-get update`.
APT_LOCK_TIMEOUT_SECONDS=120

# One attempt of apt_install. --error-on=any (apt >= 2.1.16: Debian 12+, Ubuntu 22.04+) makes a
# package source that fails (Docker's repository, a mirror) fail the update: without it, update
# exits 0 and install then says "Unable to locate package".
apt_update_and_install() {
  as_root apt-get -q -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_SECONDS" update --error-on=any &&
    as_root apt-get -q -y -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_SECONDS" \
      install --no-install-recommends "$@"
}

# apt_install PACKAGE...: install Debian packages non-interactively, without Recommends (docker.io
# would pull git, perl and binutils: ~10 s more per node). Update and install are retried
# together (a failed update leaves lists an install cannot use), with capped exponential backoff,
# until SWARMLAB_APT_DEADLINE_SECONDS: apt-daily holding the locks at first boot, a mirror or a
# package source failing for a while are the usual transient failures.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local deadline delay=$SWARMLAB_APT_FIRST_DELAY_SECONDS attempt=1
  deadline=$(($(date +%s) + SWARMLAB_APT_DEADLINE_SECONDS))
  until apt_update_and_install "$@"; do
    if (($(date +%s) + delay > deadline)); then
      die "apt-get update + install $* still failed after ${attempt} attempts in ${SWARMLAB_APT_DEADLINE_SECONDS}s; see the apt output above (a held apt lock, DNS, or a failing package source)"
    fi
    log "attempt ${attempt} of apt-get update + install $* failed; retrying both in ${delay}s"
    sleep "$delay"
    delay=$(next_delay "$delay")
    attempt=$((attempt + 1))
  done
}

# verify_key_fingerprint FILE FINGERPRINT: succeeds when FILE holds exactly one OpenPGP public key
# and its primary key has FINGERPRINT (40 hex digits, no spaces). An apt key fetched over HTTPS
# is only as good as that server; its published fingerprint is the check that does not depend on it.
verify_key_fingerprint() {
  local file=$1 want=$2 home listing primaries
  home=$(mktemp -d)
  listing=$(GNUPGHOME=$home gpg --batch --show-keys --with-colons "$file" 2>/dev/null) || true
  rm -rf "$home"
  # In --with-colons output the fpr record right after a pub record is the primary key's.
  primaries=$(awk -F: '$1 == "pub" { primary = 1; next } $1 == "fpr" && primary { print $10; primary = 0 }' <<<"$listing")
  [ "$primaries" = "$want" ]
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

# write_payload_file NAME PATH MODE: writes the file the program sent on this script's stdin as
# SWARMLAB_FILE_<NAME> (base64; see remoteScriptWithFiles in infra/swarm/remote-scripts.ts) to
# PATH with MODE, created under umask 077 so a key is never readable by others, not even briefly.
write_payload_file() {
  local variable="SWARMLAB_FILE_$1"
  [ -n "${!variable:-}" ] || die "the program sent no file '$1' on this script's stdin"
  (umask 077 && printf '%s' "${!variable}" | base64 -d >"$2") || die "could not write $2"
  chmod "$3" "$2"
}
