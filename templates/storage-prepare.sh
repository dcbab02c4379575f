#!/usr/bin/env bash
# Prepares Docker's data root for the storage driver, BEFORE Docker is installed (so dockerd never
# starts on the wrong disk). Reads /etc/swarmlab/node.env:
#   STORAGE_DRIVER      overlay2 | btrfs | zfs
#   VOLUME_FILESYSTEM   ext4 | xfs | btrfs | zfs, or empty: Docker stays on the root disk
#   DOCKER_DATA_ROOT    where Docker keeps its data (default /var/lib/docker)
#   VOLUME_DEADLINE_SECONDS  how long to wait for the Cinder volume to be attached
#
# Safe to re-run (reboot, `cloud-init clean && reboot`): a volume that already carries our
# filesystem or pool is mounted again, never formatted; a disk with any signature is never touched.
# A replacement server on an old volume keeps its images but not the old server's swarm identity.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "${SWARMLAB_LIB:-/usr/local/lib/swarmlab/lib.sh}"
SWARMLAB_STEP=storage-prepare
load_node_env

DATA_ROOT=${DOCKER_DATA_ROOT:-/var/lib/docker}
# Filesystem labels let a re-run find a volume we formatted before. XFS labels stop at 12 bytes.
LABEL_DEFAULT=swarmlab-docker
LABEL_XFS=swarmlab-dkr
ZFS_POOL=swarmlab
ZFS_DATASET=$ZFS_POOL/docker
# Extra disks that may be the volume when no /dev/disk/by-id link names it (no udev, e.g. the
# system test's container, where a loop device appears as /dev/vdb). Globs that match nothing
# stay literal and fail the -b test.
CANDIDATE_DISKS=$(echo /dev/vd[b-z] /dev/sd[b-z] /dev/xvd[b-z])
VOLUME_DEVICE=

fs_label() {
  if [ "$1" = xfs ]; then echo "$LABEL_XFS"; else echo "$LABEL_DEFAULT"; fi
}

# The `stat -f -c %T` name of each filesystem (ext4 reports itself as ext2/ext3).
stat_fs_type() {
  case "$1" in
  ext4) echo "ext2/ext3" ;;
  *) echo "$1" ;;
  esac
}

install_tools() {
  case "$VOLUME_FILESYSTEM" in
  ext4) command -v mkfs.ext4 >/dev/null || apt_install e2fsprogs ;;
  xfs) command -v mkfs.xfs >/dev/null || apt_install xfsprogs ;;
  btrfs) command -v mkfs.btrfs >/dev/null || apt_install btrfs-progs ;;
  # Ubuntu ships zfsutils-linux in main with the kernel module; Debian needs contrib + zfs-dkms.
  zfs) command -v zpool >/dev/null || apt_install zfsutils-linux ;;
  *) die "VOLUME_FILESYSTEM '$VOLUME_FILESYSTEM' is not one of ext4, xfs, btrfs, zfs" ;;
  esac
}

# The disk (not partition) that holds the root filesystem, e.g. /dev/vda.
root_disk() {
  local source parent
  source=$(findmnt -n -o SOURCE / 2>/dev/null || true)
  [ -b "$source" ] || return 0
  parent=$(lsblk -n -d -o PKNAME "$source" 2>/dev/null || true)
  if [ -n "$parent" ]; then echo "/dev/$parent"; else readlink -f "$source"; fi
}

# is_empty_disk DEV: true only for a whole, unused, blank block device. Every check errs on the
# side of "not empty": a disk we are unsure about is never formatted.
is_empty_disk() {
  local dev=$1 status=0 children
  [ -b "$dev" ] || return 1
  [ "$(readlink -f "$dev")" != "$(root_disk)" ] || return 1
  [ -z "$(findmnt -n -S "$dev" 2>/dev/null || true)" ] || return 1
  ! swapon --show=NAME --noheadings 2>/dev/null | grep -qx "$(readlink -f "$dev")" || return 1
  # Partitions: lsblk lists the disk itself plus one line per partition.
  children=$(lsblk -n -o NAME "$dev" 2>/dev/null | wc -l)
  [ "$children" -le 1 ] || return 1
  # blkid -p probes the device itself (not the cache): exit 2 means no filesystem, RAID member,
  # pool member or partition table was found, anything else means data or an unreadable disk.
  blkid -p "$dev" >/dev/null 2>&1 || status=$?
  [ "$status" -eq 2 ]
}

# Our Cinder volume by its id: virtio-blk serials are the id cut to 20 characters, virtio-scsi
# links carry the whole id, so match on the first 20 characters.
volume_by_id() {
  local volume_id link
  volume_id=$(meta docker_volume)
  [ -n "$volume_id" ] || return 0
  for link in /dev/disk/by-id/*"${volume_id:0:20}"*; do
    case "$link" in *-part*) continue ;; esac
    if [ -b "$link" ]; then
      readlink -f "$link"
      return 0
    fi
  done
}

is_our_label() {
  case "$1" in "$LABEL_DEFAULT" | "$LABEL_XFS" | "$ZFS_POOL") return 0 ;; esac
  return 1
}

# A device already carrying our filesystem or pool from a previous run. The candidate disks are
# probed directly first: in a container blkid's cache knows the host's device names, not ours.
volume_by_label() {
  local dev label
  for dev in $CANDIDATE_DISKS; do
    [ -b "$dev" ] || continue
    if is_our_label "$(blkid -p -s LABEL -o value "$dev" 2>/dev/null || true)"; then
      echo "$dev"
      return 0
    fi
  done
  for label in "$LABEL_DEFAULT" "$LABEL_XFS" "$ZFS_POOL"; do
    dev=$(blkid -o device -t "LABEL=$label" 2>/dev/null | head -n 1 || true)
    if [ -n "$dev" ]; then
      echo "$dev"
      return 0
    fi
  done
}

first_empty_disk() {
  local dev
  for dev in $CANDIDATE_DISKS; do
    if is_empty_disk "$dev"; then
      echo "$dev"
      return 0
    fi
  done
}

# Sets VOLUME_DEVICE and succeeds, or fails while no volume is there yet (polled by wait_until).
# Preference: the volume named by metadata, then our own filesystem, then a blank extra disk.
find_volume() {
  VOLUME_DEVICE=$(volume_by_id)
  [ -n "$VOLUME_DEVICE" ] || VOLUME_DEVICE=$(volume_by_label)
  [ -n "$VOLUME_DEVICE" ] || VOLUME_DEVICE=$(first_empty_disk)
  [ -n "$VOLUME_DEVICE" ]
}

# Replace (never duplicate) the fstab line for the data root, mounting by UUID with nofail so a
# missing volume does not drop the node into emergency mode (Docker then refuses to start, see
# the drop-in below, instead of silently starting on the root disk).
write_fstab_entry() {
  local dev=$1 fs=$2 uuid tmp
  uuid=$(blkid -s UUID -o value "$dev")
  [ -n "$uuid" ] || die "$dev has no filesystem UUID after mkfs"
  tmp=$(mktemp /etc/fstab.swarmlab.XXXXXX)
  awk -v mnt="$DATA_ROOT" '$2 != mnt' /etc/fstab >"$tmp"
  printf 'UUID=%s %s %s defaults,nofail 0 2\n' "$uuid" "$DATA_ROOT" "$fs" >>"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" /etc/fstab
}

# Docker must not start before its data root is mounted, or it would fill the root disk. The
# requirement orders it after the mount; the condition keeps dockerd from running at all while
# the data root is no mount point. The requirement alone is not enough: where no mount unit
# exists for the path (fstab skipped, the volume late or gone with nofail), systemd 257 (Debian 13)
# starts docker.service anyway, and dockerd 26 writes engine-id and volume metadata into the
# root disk's /var/lib/docker before its storage driver fails, so the next mount would hide them.
write_docker_dropin() {
  local requirement=$1
  mkdir -p /etc/systemd/system/docker.service.d
  printf '[Unit]\n# Written by swarmlab storage-prepare: Docker data lives on the volume.\n%s\nConditionPathIsMountPoint=%s\n' \
    "$requirement" "$DATA_ROOT" >/etc/systemd/system/docker.service.d/swarmlab-storage.conf
  systemctl daemon-reload 2>/dev/null || true
}

# Mounting over the data root must hide nothing. Empty directories are fine: a dockerd that failed
# to start before the volume was mounted leaves only its empty skeleton (containers/, tmp/...).
ensure_empty_mountpoint() {
  mkdir -p "$DATA_ROOT"
  if [ -n "$(find "$DATA_ROOT" -mindepth 1 ! -type d -print -quit)" ]; then
    die "$DATA_ROOT holds files but is not on the Docker volume; refusing to hide them under a mount (move them away, then re-run)"
  fi
}

prepare_filesystem() {
  local dev=$1 fs=$VOLUME_FILESYSTEM label found_type found_label
  label=$(fs_label "$fs")
  found_type=$(blkid -p -s TYPE -o value "$dev" 2>/dev/null || true)
  found_label=$(blkid -p -s LABEL -o value "$dev" 2>/dev/null || true)
  if [ -z "$found_type" ]; then
    is_empty_disk "$dev" || die "$dev is not an empty whole disk; refusing to format it"
    log "formatting $dev as $fs (label $label)"
    case "$fs" in
    ext4) mkfs.ext4 -q -L "$label" "$dev" ;;
    xfs) mkfs.xfs -q -L "$label" "$dev" ;;
    btrfs) mkfs.btrfs -q -L "$label" "$dev" ;;
    esac
  elif [ "$found_type" != "$fs" ] || [ "$found_label" != "$label" ]; then
    die "$dev already holds a $found_type filesystem labelled '$found_label', expected $fs labelled '$label'; not touching it (wipe it yourself if its data is disposable)"
  else
    log "$dev already holds our $fs filesystem; keeping its data"
  fi
  write_fstab_entry "$dev" "$fs"
  write_docker_dropin "RequiresMountsFor=$DATA_ROOT"
  if ! mountpoint -q "$DATA_ROOT"; then
    ensure_empty_mountpoint
    mount "$DATA_ROOT" || die "mounting $dev on $DATA_ROOT failed"
  fi
}

# import_our_pool DEVICE: imports the pool whose label is on DEVICE (or its partitions: zpool
# partitions a whole disk, so blkid finds nothing on the disk itself) when that pool is ours.
# Forced (-f): a replacement server has another hostid, and the server it replaces was deleted
# without exporting the pool, so a plain import refuses it as "last accessed by another system".
# Forcing is safe only because the label names our pool on this very device, and a Cinder volume
# is attached to one server at a time. Returns 1 when DEVICE holds no pool of ours.
import_our_pool() {
  local dev=$1 part scan=() found
  for part in $(lsblk -l -n -p -o NAME "$dev" 2>/dev/null || echo "$dev"); do
    scan+=(-d "$part")
  done
  found=$(zpool import "${scan[@]}" 2>/dev/null | awk '$1 == "pool:" { print $2; exit }')
  [ "$found" = "$ZFS_POOL" ] || return 1
  zpool import -f "${scan[@]}" "$ZFS_POOL" ||
    die "$dev holds zfs pool $ZFS_POOL but 'zpool import -f' failed; see 'zpool import -d $dev'"
}

prepare_zfs() {
  local dev=$1
  modprobe zfs 2>/dev/null || true
  if zpool list -H -o name "$ZFS_POOL" >/dev/null 2>&1; then
    log "zfs pool $ZFS_POOL is already imported"
  elif import_our_pool "$dev"; then
    log "imported the existing zfs pool $ZFS_POOL from $dev"
  else
    is_empty_disk "$dev" || die "$dev is not an empty whole disk; refusing to create a zfs pool on it"
    log "creating zfs pool $ZFS_POOL on $dev"
    zpool create -o ashift=12 -O mountpoint=none -O compression=lz4 "$ZFS_POOL" "$dev"
  fi
  if ! zfs list -H -o name "$ZFS_DATASET" >/dev/null 2>&1; then
    ensure_empty_mountpoint
    zfs create -o "mountpoint=$DATA_ROOT" "$ZFS_DATASET"
  fi
  zfs mount "$ZFS_DATASET" 2>/dev/null || true
  # zfs mounts come from zfs-mount.service, not fstab.
  write_docker_dropin $'Requires=zfs-mount.service\nAfter=zfs-mount.service'
}

# The data root must be on the filesystem the driver needs; say so loudly if it is not.
verify_mount() {
  local want got
  want=$(stat_fs_type "$VOLUME_FILESYSTEM")
  got=$(stat -f -c %T "$DATA_ROOT")
  [ "$got" = "$want" ] || die "$DATA_ROOT is on $got, expected $want for $STORAGE_DRIVER"
  log "$DATA_ROOT is on $got ($(findmnt -n -o SOURCE --target "$DATA_ROOT"))"
}

# The volume outlives its server. A new server on it (a replacement: new image or user-data) must
# not resume the old server's swarm identity: the swarm removed that node before the old server
# was deleted, and a new manager-0 starts a new swarm. Images and Docker volumes on the disk stay;
# only the swarm state moves aside. The same server re-running cloud-init keeps everything.
set_aside_swarm_state_of_other_server() {
  local marker="$DATA_ROOT/.swarmlab-instance-id" this previous
  this=$(cloud-init query v1.instance_id) ||
    die "cannot read this server's instance id (cloud-init query v1.instance_id)"
  previous=$(cat "$marker" 2>/dev/null || true)
  if [ -d "$DATA_ROOT/swarm" ] && [ "$previous" != "$this" ]; then
    rm -rf "$DATA_ROOT/swarm.previous-server"
    mv "$DATA_ROOT/swarm" "$DATA_ROOT/swarm.previous-server"
    log "the volume holds the swarm state of server ${previous:-unknown}, not $this: moved it to $DATA_ROOT/swarm.previous-server, so this server joins the swarm as itself"
  fi
  printf '%s\n' "$this" >"$marker"
}

main() {
  if [ -z "${VOLUME_FILESYSTEM:-}" ]; then
    [ "$STORAGE_DRIVER" = overlay2 ] ||
      die "storage driver $STORAGE_DRIVER needs a Docker volume but VOLUME_FILESYSTEM is empty"
    log "overlay2 on the root disk: nothing to prepare"
    return 0
  fi
  install_tools
  wait_until "${VOLUME_DEADLINE_SECONDS:-300}" "the Docker volume to be attached" find_volume ||
    die "no Docker volume found: no /dev/disk/by-id link for metadata docker_volume, no filesystem labelled $LABEL_DEFAULT/$LABEL_XFS or pool $ZFS_POOL, no empty extra disk (/dev/vd[b-z], /dev/sd[b-z], /dev/xvd[b-z])"
  log "Docker volume: $VOLUME_DEVICE"
  if [ "$VOLUME_FILESYSTEM" = zfs ]; then
    prepare_zfs "$VOLUME_DEVICE"
  else
    prepare_filesystem "$VOLUME_DEVICE"
  fi
  verify_mount
  set_aside_swarm_state_of_other_server
}

# Sourced by the template tests to call one function; run as a file, it does its job.
if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then main "$@"; fi
