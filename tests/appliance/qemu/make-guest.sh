#!/usr/bin/env bash
# Builds the tiny test guest for the real-QEMU tests: the installed Debian kernel and a busybox
# initramfs whose /init loads the virtio balloon driver, onlines hot-plugged CPUs and prints a
# status line on the serial console every ~0.5 s:
#   UNDERSTUDY seq=<n> uptime_s=<s> memtotal_kib=<kib> online_cpus=<n> present_cpus=<n>
#
# Usage: make-guest.sh OUTDIR
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.img. Cached: a second run with the same kernel and the
# same script returns at once. KERNEL_VERSION=<uname -r style> picks a kernel other than the
# newest one under /boot. The period can be changed at boot with understudy_period=<seconds> on
# the kernel command line.
#
# Needs: a kernel in /boot with its modules in /lib/modules/<version> (Debian: linux-image-amd64),
# a static busybox (busybox-static), cpio; xz or zstd only if the modules are compressed.
set -euo pipefail

die() {
  echo "make-guest: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: make-guest.sh OUTDIR"
outdir=$1
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

if [ -z "${KERNEL_VERSION:-}" ]; then
  newest=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$newest" ] || die "no kernel in /boot (vmlinuz-*): install linux-image-amd64 (installer/deps.sh)"
  KERNEL_VERSION=${newest#/boot/vmlinuz-}
fi
kernel=/boot/vmlinuz-$KERNEL_VERSION
moddir=/lib/modules/$KERNEL_VERSION
[ -r "$kernel" ] || die "cannot read $kernel: install linux-image-amd64 or set KERNEL_VERSION"
[ -r "$moddir/modules.dep" ] || die "no $moddir/modules.dep: the modules of kernel $KERNEL_VERSION are missing"

busybox=
for candidate in /bin/busybox /usr/bin/busybox; do
  if [ -x "$candidate" ] && ! LC_ALL=C ldd "$candidate" >/dev/null 2>&1; then
    busybox=$candidate
    break
  fi
done
[ -n "$busybox" ] || die "no statically linked busybox: install busybox-static (installer/deps.sh)"
command -v cpio >/dev/null || die "cpio is missing: install cpio (installer/deps.sh)"

# The key covers what the result depends on: the kernel, this script and busybox.
script_sum=$(sha256sum "$0" | cut -c1-16)
busybox_sum=$(sha256sum "$busybox" | cut -c1-16)
key="kernel=$KERNEL_VERSION script=$script_sum busybox=$busybox_sum"

exec 9>"$outdir/.make-guest.lock"
flock -w 120 9 || die "another make-guest.sh holds $outdir/.make-guest.lock for over 120 s"

if [ -f "$outdir/guest.key" ] && [ "$(cat "$outdir/guest.key")" = "$key" ] &&
  [ -s "$outdir/vmlinuz" ] && [ -s "$outdir/initrd.img" ]; then
  exit 0
fi

work=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$root/bin/busybox"

# Modules in load order: each one's dependencies first (modules.dep lists them so that the last
# must be loaded first, as modprobe does), skipping those built into the kernel.
declare -A seen=()
ordered=()
module_path() {
  # modules.dep names files such as kernel/drivers/virtio/virtio.ko[.xz|.zst]; module names
  # use _ where file names may use -.
  local name=$1
  awk -F: -v name="$name" '{
      file = $1; sub(/.*\//, "", file); sub(/\.ko(\.(xz|zst|gz))?$/, "", file); gsub(/-/, "_", file)
      if (file == name) { print $1; exit }
    }' "$moddir/modules.dep"
}
is_builtin() {
  local name=$1
  [ -r "$moddir/modules.builtin" ] &&
    sed -e 's/.*\///' -e 's/\.ko$//' -e 's/-/_/g' "$moddir/modules.builtin" | grep -qx "$name"
}
add_module() {
  local name=$1 path deps dep i
  [ -z "${seen[$name]:-}" ] || return 0
  seen[$name]=1
  path=$(module_path "$name")
  if [ -z "$path" ]; then
    is_builtin "$name" && return 0
    die "kernel $KERNEL_VERSION has no module $name and does not build it in"
  fi
  read -r -a deps <<<"$(awk -F: -v p="$path" '$1 == p { print $2; exit }' "$moddir/modules.dep")"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
    dep=${deps[$i]##*/}
    dep=${dep%%.ko*}
    add_module "${dep//-/_}"
  done
  ordered+=("$path")
}
for wanted in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon; do
  if [ "$wanted" = virtio_pci_modern_dev ] || [ "$wanted" = virtio_pci_legacy_dev ]; then
    # Split out of virtio_pci only in newer kernels.
    [ -n "$(module_path "$wanted")" ] || continue
  fi
  add_module "$wanted"
done

# busybox insmod reads plain ELF modules only: decompress here, once.
index=0
for path in "${ordered[@]}"; do
  index=$((index + 1))
  base=${path##*/}
  target=$root/lib/modules/$(printf '%02d' "$index")-${base%%.ko*}.ko
  case $path in
    *.ko) cp "$moddir/$path" "$target" ;;
    *.ko.xz) xz -dc "$moddir/$path" >"$target" || die "cannot decompress $path (install xz-utils)" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$target" || die "cannot decompress $path (install zstd)" ;;
    *.ko.gz) gzip -dc "$moddir/$path" >"$target" || die "cannot decompress $path" ;;
    *) die "unexpected module file $path" ;;
  esac
done

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for module in /lib/modules/*.ko; do
  insmod "$module" || echo "UNDERSTUDY-ERROR insmod $module failed"
done
period=0.5
for word in $(cat /proc/cmdline); do
  case $word in understudy_period=*) period=${word#understudy_period=} ;; esac
done
seq=0
while true; do
  # Hot-plugged CPUs arrive offline without udev.
  for online in /sys/devices/system/cpu/cpu[0-9]*/online; do
    [ "$(cat "$online" 2>/dev/null)" = 0 ] && echo 1 >"$online" 2>/dev/null
  done
  memtotal=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
  online_cpus=0
  present_cpus=0
  for cpu in /sys/devices/system/cpu/cpu[0-9]*; do
    present_cpus=$((present_cpus + 1))
    if [ ! -e "$cpu/online" ] || [ "$(cat "$cpu/online")" = 1 ]; then
      online_cpus=$((online_cpus + 1))
    fi
  done
  read -r uptime _ </proc/uptime
  seq=$((seq + 1))
  echo "UNDERSTUDY seq=$seq uptime_s=$uptime memtotal_kib=$memtotal online_cpus=$online_cpus present_cpus=$present_cpus"
  sleep "$period"
done
EOF
chmod 755 "$root/init"

(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$work/initrd.img"
cp "$kernel" "$work/vmlinuz"
printf '%s\n' "${ordered[@]##*/}" >"$work/modules.txt"
chmod 644 "$work/vmlinuz" "$work/initrd.img" "$work/modules.txt"
mv -f "$work/vmlinuz" "$outdir/vmlinuz"
mv -f "$work/initrd.img" "$outdir/initrd.img"
mv -f "$work/modules.txt" "$outdir/modules.txt"
echo "$key" >"$outdir/guest.key"
echo "make-guest: built $outdir/vmlinuz and $outdir/initrd.img for kernel $KERNEL_VERSION" \
  "(modules: $(tr '\n' ' ' <"$outdir/modules.txt"))"
