#!/usr/bin/env bash
# Builds the tiny image of the system test's swarm service: Debian's statically linked busybox
# serving the task's hostname over HTTP on port 8080. Docker Hub is not reachable from the test
# machines, so the image is made from a Debian package and preloaded into the nodes.
#
# Usage: build-service-image.sh <image-tag>
set -euo pipefail

tag=${1:?usage: build-service-image.sh <image-tag>}
workdir=$(mktemp -d /var/tmp/swarmlab-service-image.XXXXXX)
trap 'rm -rf "$workdir"' EXIT
# apt downloads as the unprivileged _apt user, which must be able to write here.
chmod 0755 "$workdir"

# `apt-get download` fetches the .deb without installing anything on the host.
(cd "$workdir" && apt-get download busybox-static >/dev/null)
dpkg-deb -x "$workdir"/busybox-static_*.deb "$workdir/pkg"

rootfs="$workdir/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
cp "$workdir/pkg/bin/busybox" "$rootfs/bin/busybox"
for applet in sh httpd hostname sleep cat wget; do
  ln -s busybox "$rootfs/bin/$applet"
done

# The shell is PID 1 and PID 1 ignores SIGTERM unless it traps it: without the trap every task
# stop (rolling update, drain) would wait out Docker's 10 s grace period before SIGKILL.
tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    -c 'CMD ["/bin/sh", "-c", "trap \"exit 0\" TERM; hostname > /www/index.html; httpd -f -p 8080 -h /www & wait"]' \
    -c 'EXPOSE 8080' \
    -c 'LABEL org.swarmlab.role=system-test-service' \
    - "$tag" >/dev/null
echo "$tag"
