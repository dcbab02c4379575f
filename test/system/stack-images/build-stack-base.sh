#!/usr/bin/env bash
# Builds ONE base image for the stand-ins of the images the application stacks name (nothing can
# be pulled here): Debian 12 minbase with busybox, redis-server, python3-flask, python3-redis,
# python3-pip and haproxy. harness/stack-images.ts tags it with every exact name the compose files
# and Dockerfiles of stacks/ use (busybox:1.36, redis:7, python:3.12-slim, haproxy:2.8), each with
# the command the upstream image runs.
#
# Usage: build-stack-base.sh <image-tag>
set -euo pipefail

tag=${1:?usage: build-stack-base.sh <image-tag>}
mirror=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

workdir=$(mktemp -d /var/tmp/swarmlab-stack-base.XXXXXX)
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
  busybox redis-server python3-flask python3-redis python3-pip haproxy >/dev/null
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d"
umount -l "$rootfs/dev" "$rootfs/proc"

# What the upstream images have and Debian's packages name differently: busybox's applets on the
# PATH (httpd), `python` for python3, pip allowed to check requirements (PEP 668's marker would
# refuse even an install that has nothing to do), haproxy's config folder.
mkdir -p "$rootfs/opt/busybox/bin" "$rootfs/usr/local/etc/haproxy" "$rootfs/data"
chroot "$rootfs" /bin/busybox --install -s /opt/busybox/bin
ln -sf python3 "$rootfs/usr/bin/python"
rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED

tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/busybox/bin' \
    -c 'LABEL org.swarmlab.role=system-test-stack-base' \
    - "$tag" >/dev/null
echo "$tag"
