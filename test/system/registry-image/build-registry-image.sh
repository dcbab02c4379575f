#!/usr/bin/env bash
# Builds the system test's ONE Debian image for every upstream image it cannot pull (nothing can be
# pulled here), so a cold machine runs debootstrap once: Debian 12 minbase plus
# - Debian's `docker-registry` package (the CNCF distribution registry, 2.8): the stand-in for
#   `registry:2`, which this image is as imported (its ENTRYPOINT, CMD, VOLUME and EXPOSE). It
#   speaks the same configuration as the upstream image: the REGISTRY_* environment variables of
#   templates/registry-compose.yaml override /etc/docker/registry/config.yml;
# - busybox, redis-server, python3-flask, python3-redis, python3-pip and haproxy: the base of the
#   stand-ins for the images the stacks of stacks/ name (busybox:1.36, redis:7, python:3.12-slim,
#   haproxy:2.8), which harness/stack-images.ts commits from it, each with the upstream command
#   and no entrypoint.
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
  docker-registry busybox redis-server python3-flask python3-redis python3-pip haproxy >/dev/null
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d"
umount -l "$rootfs/dev" "$rootfs/proc"

# What the upstream stack images have and Debian's packages name differently: busybox's applets
# on the PATH (httpd), `python` for python3, pip allowed to check requirements (PEP 668's marker
# would refuse even an install that has nothing to do), haproxy's config folder, redis's /data.
mkdir -p "$rootfs/opt/busybox/bin" "$rootfs/usr/local/etc/haproxy" "$rootfs/data"
chroot "$rootfs" /bin/busybox --install -s /opt/busybox/bin
ln -sf python3 "$rootfs/usr/bin/python"
rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED

# The upstream registry image keeps its data in /var/lib/registry and runs `registry serve` on
# its config. The busybox applets come last on the PATH: Debian's own tools win.
mkdir -p "$rootfs/var/lib/registry"
tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/busybox/bin' \
    -c 'ENTRYPOINT ["/usr/bin/docker-registry", "serve"]' \
    -c 'CMD ["/etc/docker/registry/config.yml"]' \
    -c 'EXPOSE 5000' \
    -c 'VOLUME ["/var/lib/registry"]' \
    -c 'LABEL org.swarmlab.role=system-test-registry-and-stack-base' \
    - "$tag" >/dev/null
echo "$tag"
