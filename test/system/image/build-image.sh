#!/usr/bin/env bash
# Builds the "VM image" of the system test: a Debian root filesystem (bookworm = Debian 12 or
# trixie = Debian 13) with systemd, cloud-init and sshd, imported into Docker as one image. It plays the role of the Debian cloud
# image a student's VMs boot from on OpenStack, so Docker is deliberately NOT installed here:
# the project's own cloud-config installs it at boot, exactly as on a real VM.
#
# Usage: build-image.sh <image-tag> <release>
# The harness tags the image with a hash of this file and the release, so any change here
# rebuilds it.
set -euo pipefail

tag=${1:?usage: build-image.sh <image-tag> <release>}
release=${2:?usage: build-image.sh <image-tag> <release>}
case "$release" in
bookworm | trixie) ;;
*)
  echo "release '$release' is not one the system test proves (bookworm, trixie)" >&2
  exit 2
  ;;
esac
mirror=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${SWARMLAB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

workdir=$(mktemp -d /var/tmp/swarmlab-node-image.XXXXXX)
rootfs="$workdir/rootfs"

cleanup() {
  # Unmount in reverse order; a failed build must not leave mounts under /var/tmp.
  for mnt in dev/pts dev sys proc; do
    if mountpoint -q "$rootfs/$mnt" 2>/dev/null; then umount -l "$rootfs/$mnt"; fi
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

in_chroot() {
  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

echo "== debootstrap $release (minbase) from $mirror"
debootstrap --variant=minbase "$release" "$rootfs" "$mirror"

mount -t proc proc "$rootfs/proc"
mount -t sysfs sysfs "$rootfs/sys"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"

# Keep package scripts from starting services inside the build chroot.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"

# The mirror this machine sees serves Release files past their Valid-Until date; apt refuses them
# unless told not to check. Nodes run apt at boot (cloud-init installs Docker), so the setting is
# part of the image, not just of the build.
cat >"$rootfs/etc/apt/apt.conf.d/99swarmlab-no-check-valid-until" <<'APT'
Acquire::Check-Valid-Until "false";
APT
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $release main
deb $mirror $release-updates main
deb $security_mirror $release-security main
SOURCES

echo "== packages of a Debian cloud image (no Docker)"
in_chroot apt-get update
in_chroot apt-get install -y --no-install-recommends \
  systemd systemd-sysv dbus cloud-init openssh-server sudo curl jq iproute2 iputils-ping \
  ca-certificates gnupg btrfs-progs xfsprogs e2fsprogs locales kmod procps less netbase

# A Debian cloud image ships a generated en_US.UTF-8; without it cloud-init's locale module fails
# (Debian's locale-gen ignores its argument and builds only what /etc/locale.gen enables).
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$rootfs/etc/locale.gen"
in_chroot locale-gen

echo "== cloud-init: the config drive is the only datasource"
# ConfigDrive reads /var/lib/cloud/seed/config_drive before looking for a labelled disk; the
# harness writes nova's files there before the container starts.
cat >"$rootfs/etc/cloud/cloud.cfg.d/90-swarmlab-datasource.cfg" <<'CFG'
datasource_list: [ConfigDrive, None]
CFG
# Docker gives the container its network (nova's job); cloud-init must not render its own.
# The root filesystem is the container's overlay: nothing to grow or resize.
cat >"$rootfs/etc/cloud/cloud.cfg.d/91-swarmlab-container.cfg" <<'CFG'
network: {config: disabled}
growpart: {mode: "off"}
resize_rootfs: false
CFG

echo "== first-boot hygiene: each node gets its own identity"
# Same as a cloud image: no machine-id or ssh host keys baked in. systemd makes the machine-id at
# first boot; cloud-init's ssh module generates the host keys.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id" "$rootfs"/etc/ssh/ssh_host_*

# Units that make no sense in a container and only add noise or failures at boot.
for unit in console-getty.service getty@tty1.service systemd-remount-fs.service \
  e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

rm -f "$rootfs/usr/sbin/policy-rc.d"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*

for mnt in dev/pts dev sys proc; do umount -l "$rootfs/$mnt"; done

echo "== docker import as $tag"
# `docker import` cannot set STOPSIGNAL; the harness passes --stop-signal SIGRTMIN+3 (systemd's
# clean shutdown) when it creates a node.
tar --numeric-owner --xattrs -C "$rootfs" -c . |
  docker import \
    -c 'CMD ["/sbin/init"]' \
    -c 'ENV container=docker' \
    -c 'LABEL org.swarmlab.role=system-test-node' \
    - "$tag"
