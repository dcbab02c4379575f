#!/usr/bin/env bash
# Proves a CI job on a clean machine: a fresh clone of HEAD, in a container of the image
# build-ci-image.sh makes (Debian 12 + Node 22, nothing else), running the job's commands as
# job-script.ts reads them from the workflow file. Prints the job's output, its time and result.
#
# Usage: test/ci-jobs/run-job.sh <github|gitlab> <job>   (root, dockerd running)
set -euo pipefail
cd "$(dirname "$0")/../.."

ci=${1:?usage: run-job.sh <github|gitlab> <job>}
job=${2:?usage: run-job.sh <github|gitlab> <job>}
(($# == 2)) || { echo "usage: run-job.sh <github|gitlab> <job>" >&2; exit 2; }
# The image is rebuilt when its recipe changes.
tag="swarmlab-ci-bookworm-node22:$(sha256sum test/ci-jobs/build-ci-image.sh | cut -c1-16)"
if ! docker image inspect "$tag" >/dev/null 2>&1; then
  bash test/ci-jobs/build-ci-image.sh "$tag"
fi

work=$(mktemp -d /var/tmp/swarmlab-ci-job.XXXXXX)
trap 'rm -rf "$work"' EXIT
# What CI checks out: the committed tree, no node_modules, no local files.
git clone --quiet --no-local --no-hardlinks . "$work/src"
npx ts-node --transpile-only -P tsconfig.json test/ci-jobs/job-script.ts "$ci" "$job" >"$work/job.sh"

echo "== $ci job $job on $tag, clone of $(git rev-parse --short HEAD)"
start=$SECONDS
status=0
# SWARMLAB_CI_JOB_CPUS caps the container (e.g. 1), to leave room for other work on a shared host.
# The host's CA bundle goes in beside the image's, for Node only: a network that inspects TLS
# (its own CA in the host's bundle) is the machine's, not something the job should install.
docker run --rm --name "swarmlab-ci-job-$ci-$job-$$" -e CI=true ${SWARMLAB_CI_JOB_CPUS:+--cpus "$SWARMLAB_CI_JOB_CPUS"} \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/host-ca-certificates.crt:ro \
  -e NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-certificates.crt \
  -v "$work/src:/builds/swarmlab" -v "$work/job.sh:/job.sh:ro" -w /builds/swarmlab \
  "$tag" bash /job.sh || status=$?
echo "== $ci job $job: exit $status after $((SECONDS - start)) s"
exit "$status"
