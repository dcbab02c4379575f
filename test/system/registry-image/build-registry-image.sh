#!/usr/bin/env bash
# Builds the system test's stand-in for `registry:2` (nothing can be pulled here): Debian 12
# minbase plus Debian's `docker-registry` package (the CNCF distribution registry, 2.8), imported
# into Docker. It speaks the same configuration as the upstream image: the REGISTRY_* environment
# variables of templates/registry-compose.yaml override /etc/docker/registry/config.yml.
#
# Usage: build-registry-image.sh <image-tag>
set -euo pipefail

tag=${1:?usage: build-registry-image.sh <image-tag>}
mirror=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

workdir=$(mktemp -d /var/tmp/swarmlab-registry-image.XXXXXX)
rootfs="$workdir/rootfs"
cleanup() {
  for mnt in dev proc; do
    if mountpoint -q "$rootfs/$mnt" 2>/dev/null; then umount -l "$rootfs/$mnt"; fi
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
echo 'Acquire::Check-Valid-Until "false";' >"$rootfs/etc/apt/apt.conf.d/99swarmlab-no-check-valid-until"
chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends \
  docker-registry >/dev/null
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d"
umount -l "$rootfs/dev" "$rootfs/proc"

# The upstream image keeps its data in /var/lib/registry and runs `registry serve` on its config.
mkdir -p "$rootfs/var/lib/registry"
tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    -c 'ENTRYPOINT ["/usr/bin/docker-registry", "serve"]' \
    -c 'CMD ["/etc/docker/registry/config.yml"]' \
    -c 'EXPOSE 5000' \
    -c 'VOLUME ["/var/lib/registry"]' \
    -c 'LABEL org.swarmlab.role=system-test-registry' \
    - "$tag" >/dev/null
echo "$tag"
