#!/usr/bin/env bash
# Installs and starts Docker, then checks it runs on the storage the stack asked for. Reads
# /etc/swarmlab/node.env:
#   DOCKER_SOURCE     docker-ce (Docker's apt repository) | distro (Debian/Ubuntu docker.io)
#   STORAGE_DRIVER, VOLUME_FILESYSTEM, DOCKER_DATA_ROOT   what to verify after the start
#   SSH_USER          the image's login user, added to the docker group
#   DOCKER_START_DEADLINE_SECONDS  how long dockerd may take to answer
#
# /etc/docker/daemon.json is already in place (cloud-init write_files) when the package's
# postinst first starts dockerd, so Docker never initialises with the wrong storage driver.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=docker-install
load_node_env

DATA_ROOT=${DOCKER_DATA_ROOT:-/var/lib/docker}
KEYRING=/etc/apt/keyrings/docker.asc
# Docker's apt signing key, as published on https://docs.docker.com/engine/install/.
DOCKER_KEY_FINGERPRINT=9DC858229FC7DD38854AE2D88D81803C0EBFCD88
SOURCES_FILE=/etc/apt/sources.list.d/docker.list

add_docker_ce_repository() {
  local distro_id codename arch
  # shellcheck source=/dev/null
  distro_id=$(. /etc/os-release && echo "${ID:-}")
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  case "$distro_id" in
  ubuntu | debian) ;;
  *) die "dockerSource docker-ce supports Ubuntu and Debian, this image is '$distro_id'; use dockerSource distro" ;;
  esac
  [ -n "$codename" ] || die "/etc/os-release has no VERSION_CODENAME; cannot pick Docker's apt suite"
  arch=$(dpkg --print-architecture)
  apt_install ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  retry 5 10 curl -fsSL --max-time 60 -o "$KEYRING.tmp" "https://download.docker.com/linux/$distro_id/gpg" ||
    die "could not download Docker's apt key from download.docker.com"
  verify_key_fingerprint "$KEYRING.tmp" "$DOCKER_KEY_FINGERPRINT" ||
    die "the apt key from download.docker.com is not Docker's (expected the one key $DOCKER_KEY_FINGERPRINT); not trusting it"
  chmod 0644 "$KEYRING.tmp"
  mv "$KEYRING.tmp" "$KEYRING"
  # Overwritten on every run, never appended: a re-run must not duplicate the source.
  printf 'deb [arch=%s signed-by=%s] https://download.docker.com/linux/%s %s stable\n' \
    "$arch" "$KEYRING" "$distro_id" "$codename" >"$SOURCES_FILE"
}

install_docker() {
  if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then
    log "Docker is already installed ($(dockerd --version)); skipping the installation"
    return 0
  fi
  case "$DOCKER_SOURCE" in
  docker-ce)
    add_docker_ce_repository
    apt_install docker-ce docker-ce-cli containerd.io
    ;;
  distro) install_distro_docker ;;
  *) die "DOCKER_SOURCE '$DOCKER_SOURCE' is not one of docker-ce, distro" ;;
  esac
  require_docker_commands
}

# The distribution's engine is docker.io. Up to Debian 12 and on Ubuntu it carries the docker CLI
# too; since Debian 13 the CLI is a package of its own, docker-cli, which docker.io only
# Recommends (and apt_install installs no Recommends). Whether this release splits them is read
# from what docker.io brought and what apt offers, not from a table of releases that would age.
install_distro_docker() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  if ! command -v docker >/dev/null 2>&1 && apt_offers docker-cli; then
    log "docker.io brought dockerd without the docker CLI; installing docker-cli, which ships it here"
    apt_install docker-cli
  fi
}

# Fails at once, naming the package, when the install left out dockerd or the CLI: every later
# step (and the swarm) needs both, and waiting for 'docker info' would only hide the cause.
require_docker_commands() {
  local engine_package=docker.io cli_package=docker-cli
  if [ "$DOCKER_SOURCE" = docker-ce ]; then
    engine_package=docker-ce
    cli_package=docker-ce-cli
  fi
  command -v dockerd >/dev/null 2>&1 ||
    die "the Docker engine (dockerd) is not installed; it is in package $engine_package: see the apt output above"
  command -v docker >/dev/null 2>&1 ||
    die "dockerd is installed but the docker CLI is not; it is in package $cli_package, which apt did not install here (held or pinned? see 'apt-mark showhold' and 'apt-cache policy $cli_package')"
  log "Docker is installed: $(dockerd --version); CLI $(docker --version)"
}

docker_answers() {
  docker info >/dev/null 2>&1
}

add_user_to_docker_group() {
  if ! id "$SSH_USER" >/dev/null 2>&1; then
    log "WARNING: user $SSH_USER does not exist; not adding it to the docker group"
    return 0
  fi
  usermod -aG docker "$SSH_USER"
}

# dockerd refuses to start with a driver that cannot work, but it could still run a different
# driver (an old daemon.json) or on the wrong disk: check the driver and the filesystem under it.
verify_storage() {
  local driver root fs_type
  driver=$(docker info --format '{{.Driver}}')
  root=$(docker info --format '{{.DockerRootDir}}')
  fs_type=$(stat -f -c %T "$DATA_ROOT")
  [ "$driver" = "$STORAGE_DRIVER" ] ||
    die "Docker runs the $driver storage driver, expected $STORAGE_DRIVER (see /etc/docker/daemon.json and 'journalctl -u docker')"
  [ "$root" = "$DATA_ROOT" ] || die "Docker's data root is $root, expected $DATA_ROOT"
  case "$STORAGE_DRIVER:${VOLUME_FILESYSTEM:-}:$fs_type" in
  btrfs:*:btrfs | zfs:*:zfs) ;;
  overlay2:ext4:ext2/ext3 | overlay2:xfs:xfs) ;;
  # On the root disk any filesystem overlay2 accepts will do; dockerd itself refuses the others.
  overlay2::btrfs | overlay2::zfs | overlay2::overlayfs | overlay2::aufs | overlay2::ecryptfs)
    die "$DATA_ROOT is on $fs_type, which overlay2 cannot use"
    ;;
  overlay2::*) ;;
  *) die "$DATA_ROOT is on $fs_type, which does not match storage driver $STORAGE_DRIVER on volume filesystem '${VOLUME_FILESYSTEM:-}'" ;;
  esac
  log "Docker runs storage driver $driver on $fs_type at $root"
}

main() {
  install_docker
  systemctl daemon-reload
  systemctl enable --now docker ||
    die "systemctl enable --now docker failed; see 'journalctl -u docker' (a bad daemon.json or an unmounted $DATA_ROOT are the usual causes)"
  wait_until "${DOCKER_START_DEADLINE_SECONDS:-180}" "dockerd to answer 'docker info'" docker_answers ||
    die "dockerd did not answer; see 'journalctl -u docker'"
  # docker.service runs it on every start (drop-in written by cloud-init); once more here in case
  # the package started dockerd before systemd had read the drop-in.
  "$(dirname "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}")/container-firewall.sh" ||
    die "the container firewall (templates/container-firewall.sh) could not be applied"
  add_user_to_docker_group
  verify_storage
}

main "$@"
