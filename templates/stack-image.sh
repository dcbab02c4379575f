#!/usr/bin/env bash
# Run over SSH on a manager as `bash -s` (infra/stacks/stack-scripts.ts prepends the build
# context as SWARMLAB_CONTEXT_FILES, "path:base64" entries, and the compose file's build options
# (target stage, build args) as SWARMLAB_BUILD_OPTIONS, then lib.sh and lib-registry-login.sh;
# the registry credentials come first, on the step's secret stdin). Builds one stack image on the
# cluster, logs in and pushes it to the cluster's registry. Prints the image reference.
#
#   stack-image.sh IMAGE DOCKERFILE TIMEOUT_SECONDS
#
# The tag is a hash of the context (infra/stacks/image-tag.ts): Pulumi runs this only when the
# context changed, and an image the registry has already is pushed again as a no-op.
set -euo pipefail

if ! declare -F log >/dev/null; then
  # shellcheck source-path=SCRIPTDIR
  # shellcheck source=lib.sh
  . /usr/local/lib/swarmlab/lib.sh
fi
SWARMLAB_STEP=stack-image

# Writes the context files into DIR.
unpack_context() {
  local dir=$1 entry file
  for entry in "${SWARMLAB_CONTEXT_FILES[@]}"; do
    file=${entry%%:*}
    case "/$file/" in */../* | *//*) die "refusing context path '$file'" ;; esac
    mkdir -p "$dir/$(dirname "$file")"
    base64 -d <<<"${entry#*:}" >"$dir/$file"
  done
}

main() {
  exec </dev/null
  local image=${1:-} dockerfile=${2:-} timeout_seconds=${3:-} context
  if [ -z "$image" ] || [ -z "$dockerfile" ] || ! [[ "$timeout_seconds" =~ ^[0-9]+$ ]]; then
    die "usage: stack-image.sh IMAGE DOCKERFILE TIMEOUT_SECONDS"
  fi
  declare -p SWARMLAB_BUILD_OPTIONS >/dev/null 2>&1 || SWARMLAB_BUILD_OPTIONS=()
  ((${#SWARMLAB_CONTEXT_FILES[@]} > 0)) || die "no build context given (SWARMLAB_CONTEXT_FILES is empty)"
  registry_credentials_given || die "no registry credentials given: the image could not be pushed"
  context=$(mktemp -d /tmp/swarmlab-context.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the path is fixed
  trap "rm -rf '$context'" EXIT
  unpack_context "$context"
  log "building $image"
  as_root timeout "$timeout_seconds" docker build --quiet --file "$context/$dockerfile" --tag "$image" \
    "${SWARMLAB_BUILD_OPTIONS[@]}" "$context" >&2 ||
    die "building $image failed or took over ${timeout_seconds}s (docker build's output is above)"
  registry_login "$timeout_seconds"
  log "pushing $image"
  retry 3 5 as_root timeout "$timeout_seconds" docker push "$image" >&2 ||
    die "pushing $image to $SWARMLAB_REGISTRY_ADDRESS failed (docker push's output is above)"
  printf '%s\n' "$image"
}

main "$@"
