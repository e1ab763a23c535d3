#!/usr/bin/env bash
# The Debian packages, for real: built with cpack from a finished build folder, checked
# (contents, each file in one package, every manual page packaged and read by man --warnings
# without a warning, dependencies and none on unused Qt modules, conffile, lintian), installed
# with apt-get on this machine, the service started from the installed files on a libvirt
# test-driver appliance as its own user (directly: PID 1 need not be systemd), queried with the
# installed understudyctl and its bash completion, upgraded from a package of the previous schema
# (data kept, database copied then migrated, config kept), removed and purged (nothing left).
# Needs root. The machine is left as it was found: the packages are purged on every exit path.
#
# Usage: test_packages.sh BUILD_DIR PREVIOUS_SCHEMA_UNDERSTUDYD
set -euo pipefail

build=$(realpath "$1")
previous_daemon=$(realpath "$2")
source_dir=$(realpath "$(dirname "$0")/../..")
packages=(understudy understudy-agents understudy-console)
export DEBIAN_FRONTEND=noninteractive

step_start=$(date +%s)
step() {
    local now
    now=$(date +%s)
    echo "--- [$((now - step_start)) s] $*"
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
expect_equal() { # what actual expected
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n "$0" "$@"
fi
[ "$(id -u)" -eq 0 ] || fail "installing packages needs root (CI runs as root); run: sudo ctest -L installer"
# One run at a time on this machine, whichever build folder it comes from.
exec 9>/tmp/understudy-packages-test.lock
flock -w 600 9 || fail "another installer test holds /tmp/understudy-packages-test.lock"
for tool in cpack dpkg-deb dpkg-shlibdeps apt-get lintian systemd-analyze setpriv flock python3 strip; do
    command -v "$tool" >/dev/null || fail "$tool is missing: run installer/deps.sh"
done
# Installed, or removed with its config left.
known_to_dpkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed$'; }
for package in "${packages[@]}"; do
    if known_to_dpkg "$package"; then
        fail "$package is installed here already; this test installs and purges it: purge it first"
    fi
done
getent passwd understudy >/dev/null && fail "a user 'understudy' exists already; the packages' purge would remove it"
[ -e /etc/understudy ] && fail "/etc/understudy exists already; the packages' purge would remove it"
[ -e /var/lib/understudy ] && fail "/var/lib/understudy exists already; the packages' purge would remove it"

work=$(mktemp -d /tmp/understudy-packages.XXXXXX)
chmod 0755 "$work"
service_pid=

cleanup() {
    local status=$?
    if [ -n "$service_pid" ]; then
        kill "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
    if [ -d /run/systemd/system ]; then
        systemctl stop understudyd.service 2>/dev/null || true
    fi
    local installed=()
    for package in "${packages[@]}"; do
        if known_to_dpkg "$package"; then
            installed+=("$package")
        fi
    done
    if [ ${#installed[@]} -gt 0 ]; then
        apt-get purge -y -qq "${installed[@]}" >/dev/null 2>&1 || dpkg --purge "${installed[@]}" || true
    fi
    if [ $status -ne 0 ] && [ -f "$work/service.log" ]; then
        echo "--- the service's log:" >&2
        tail -n 40 "$work/service.log" >&2
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT

# --- build the packages from the build folder as it is ---
step "cpack"
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
declare -A deb
for package in "${packages[@]}"; do
    deb[$package]=$work/out/${package}_${version}_${arch}.deb
    [ -f "${deb[$package]}" ] || fail "cpack made no ${deb[$package]}: $(ls "$work/out")"
done

step "contents: programs, manual pages and data in their packages, each installed file in exactly one"
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort; }
for package in "${packages[@]}"; do contents "${deb[$package]}" >"$work/$package.files"; done
expect_files() { # package file...
    local package=$1
    shift
    for file in "$@"; do
        grep -qx "$file" "$work/$package.files" || fail "$package lacks $file: $(cat "$work/$package.files")"
    done
}
man=/usr/share/man
expect_files understudy /usr/sbin/understudyd /usr/bin/understudy-size /usr/bin/understudy-simulate \
    /etc/understudy/understudyd.conf /lib/systemd/system/understudyd.service \
    /usr/share/understudy/demo-appliance.xml /usr/share/understudy/passive-node.xml \
    /usr/share/doc/understudy/copyright /usr/share/doc/understudy/changelog.gz \
    /usr/share/doc/understudy/http-api.md /usr/share/doc/understudy/sizing-method.md \
    $man/man8/understudyd.8.gz $man/man5/understudyd.conf.5.gz $man/man1/understudy-size.1.gz \
    $man/man1/understudy-simulate.1.gz /usr/lib/ocf/resource.d/understudy/understudyd \
    $man/man7/ocf_understudy_understudyd.7.gz /usr/share/understudy/alerts/understudy-alert \
    $man/man8/understudy-alert.8.gz /usr/share/understudy/monitoring/understudy-alerts.yml \
    /usr/share/understudy/monitoring/understudy-dashboard.json
expect_files understudy-agents /usr/lib/ocf/resource.d/understudy/takeover \
    /usr/lib/ocf/resource.d/understudy/readiness /usr/sbin/fence_understudy /usr/bin/understudyctl \
    /usr/share/doc/understudy-agents/copyright $man/man1/understudyctl.1.gz \
    $man/man8/fence_understudy.8.gz $man/man7/ocf_understudy_takeover.7.gz \
    $man/man7/ocf_understudy_readiness.7.gz /usr/share/bash-completion/completions/understudyctl
expect_files understudy-console /usr/bin/understudy-console \
    /usr/share/applications/understudy-console.desktop /usr/share/doc/understudy-console/copyright \
    $man/man1/understudy-console.1.gz
# Every manual page of docs/man is in a package.
for page in "$source_dir"/docs/man/*.[1-8]; do
    name=$(basename "$page")
    grep -qx "$man/man${name##*.}/$name.gz" "$work"/understudy*.files || fail "no package has the manual page $name"
done
duplicates=$(cat "$work"/*.files | sort | uniq -d)
[ -z "$duplicates" ] || fail "files in more than one package: $duplicates"
# Everything the build installs (every component, the unnamed one included) is in a package.
DESTDIR=$work/all cmake --install "$build" --prefix /usr >/dev/null
(cd "$work/all" && find . ! -type d | sed 's|^\./|/|' | sort) >"$work/installed.files"
unpackaged=$(sort "$work"/understudy*.files | comm -23 "$work/installed.files" -)
[ -z "$unpackaged" ] || fail "installed by the build but in no package: $unpackaged"

step "control data: dependencies (shlibdeps), recommends, conffiles, maintainer scripts"
field() { dpkg-deb -f "${deb[$1]}" "$2"; }
for lib in libqt6core6 libvirt0 libsqlite3-0 adduser; do
    field understudy Depends | grep -q "$lib" || fail "understudy does not depend on $lib: $(field understudy Depends)"
done
field understudy Recommends | grep -q libvirt-daemon-system || fail "understudy does not recommend libvirt-daemon-system"
field understudy Recommends | grep -q understudy-agents || fail "understudy does not recommend understudy-agents"
# Nothing the programs do not link: Qt's HTTP server, SQL, WebSockets and its SQLite plugin.
for package in "${packages[@]}"; do
    if field "$package" Depends | grep -Eq 'libqt6(httpserver|sql|websockets)6'; then
        fail "$package depends on a Qt library it does not use: $(field "$package" Depends)"
    fi
done
field understudy-agents Depends | grep -q libqt6network6 || fail "understudy-agents lacks libqt6network6: $(field understudy-agents Depends)"
for lib in libqt6keychain1 libqt6charts6 libqt6widgets6; do
    field understudy-console Depends | grep -q "$lib" || fail "understudy-console lacks $lib: $(field understudy-console Depends)"
done
mkdir "$work/control"
dpkg-deb -e "${deb[understudy]}" "$work/control"
expect_equal "understudy's conffiles" "$(cat "$work/control/conffiles")" /etc/understudy/understudyd.conf
for script in postinst prerm postrm; do
    [ -x "$work/control/$script" ] || fail "understudy has no executable $script"
done

step "lintian"
lintian_status=0
lintian --no-tag-display-limit "${deb[@]}" >"$work/lintian.log" 2>&1 || lintian_status=$?
cat "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log" || [ $lintian_status -ge 2 ]; then
    fail "lintian found errors (exit $lintian_status)"
fi
# Every program has its manual page (docs/man), and every page reads cleanly with man.
man_tags='no-manual-page|groff-message|bad-whatis-entry|wrong-manual-section|poor-compression-in-manual-page'
if grep -E ": ($man_tags)( |\$)" "$work/lintian.log"; then
    fail "lintian found problems with the manual pages"
fi

step "manual pages read without warnings (man --warnings, as lintian runs it)"
mkdir "$work/unpacked"
for package in "${packages[@]}"; do dpkg-deb -x "${deb[$package]}" "$work/unpacked"; done
for page in "$work"/unpacked/usr/share/man/man*/*.gz; do
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) ||
        fail "man could not format ${page#"$work"/unpacked}: $warnings"
    [ -z "$warnings" ] || fail "${page#"$work"/unpacked}: $warnings"
done

# --- the previous release: this package with the service built for the previous schema ---
step "package of the previous schema"
previous_root=$work/previous
dpkg-deb -R "${deb[understudy]}" "$previous_root"
install -m 0755 "$previous_daemon" "$previous_root/usr/sbin/understudyd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$previous_root/usr/sbin/understudyd"
previous_version="${version}~previous"
sed -i "s/^Version: .*/Version: $previous_version/" "$previous_root/DEBIAN/control"
(cd "$previous_root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
    xargs -0 md5sum >DEBIAN/md5sums)
previous_deb=$work/out/understudy_${previous_version}_${arch}.deb
dpkg-deb --root-owner-group -b "$previous_root" "$previous_deb" >/dev/null

apt_install() {
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
        >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $* failed"; }
}

step "install the previous understudy with the current agents and console"
apt_install "$previous_deb" "${deb[understudy-agents]}" "${deb[understudy-console]}"
expect_equal "installed understudy" "$(dpkg-query -W -f='${Version}' understudy)" "$previous_version"

step "user, folders, permissions, token, unit enabled"
getent passwd understudy >/dev/null || fail "no user understudy"
uid=$(id -u understudy)
[ "$uid" -lt 1000 ] || fail "understudy is not a system user (uid $uid)"
expect_equal "understudy's shell" "$(getent passwd understudy | cut -d: -f7)" /usr/sbin/nologin
expect_equal "understudy's group" "$(id -gn understudy)" understudy
if getent group libvirt >/dev/null; then
    id -nG understudy | tr ' ' '\n' | grep -qx libvirt || fail "understudy is not in group libvirt"
fi
expect_equal /var/lib/understudy "$(stat -c '%U:%G %a' /var/lib/understudy)" "understudy:understudy 750"
expect_equal understudyd.conf "$(stat -c '%U:%G %a' /etc/understudy/understudyd.conf)" "root:understudy 640"
expect_equal admin.token "$(stat -c '%U:%G %a' /etc/understudy/admin.token)" "root:understudy 640"
token=$(head -n 1 /etc/understudy/admin.token)
[ ${#token} -ge 32 ] || fail "the admin token is too short (${#token} characters)"
dpkg-query -W -f='${Conffiles}' understudy | grep -q '/etc/understudy/understudyd.conf' ||
    fail "dpkg does not know understudyd.conf as a conffile"
[ -L /etc/systemd/system/multi-user.target.wants/understudyd.service ] ||
    fail "the unit is not enabled (no multi-user.target.wants link)"
for program in /usr/sbin/understudyd /usr/bin/understudy-size /usr/bin/understudyctl \
    /usr/sbin/fence_understudy /usr/bin/understudy-console /usr/lib/ocf/resource.d/understudy/takeover; do
    [ -x "$program" ] || fail "$program is not installed executable"
done

step "systemd-analyze verify"
verify_status=0
systemd-analyze verify /lib/systemd/system/understudyd.service >"$work/verify.log" 2>&1 || verify_status=$?
cat "$work/verify.log"
[ $verify_status -eq 0 ] || fail "systemd-analyze verify failed (exit $verify_status)"

# The appliance: the shipped demo host (256 GiB, 64 CPUs) through libvirt's test driver.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
conf=/etc/understudy/understudyd.conf
sed -i -e "s|^listen = .*|listen = 127.0.0.1:$port|" \
    -e "s|^uri = qemu:///system|uri = test:///usr/share/understudy/demo-appliance.xml|" \
    -e "s|^domain_template = .*|domain_template = /usr/share/understudy/passive-node.xml|" \
    -e "s|^recreate_missing = false|recreate_missing = true|" "$conf"
grep -q "^uri = test:///usr/share/understudy/demo-appliance.xml" "$conf" || fail "could not point $conf at the test driver"
conf_sum=$(md5sum <"$conf")

ctl() { /usr/bin/understudyctl --url "$url" --token-file /etc/understudy/admin.token "$@"; }
# Under systemd when it is PID 1 (the unit itself: Type=notify, sandbox, user); otherwise
# directly, as the unit would run it.
under_systemd=false
[ -d /run/systemd/system ] && under_systemd=true
start_service() {
    if $under_systemd; then
        systemctl start understudyd.service || {
            journalctl -u understudyd.service -n 40 --no-pager >>"$work/service.log" 2>&1
            fail "systemctl start understudyd failed"
        }
    else
        # The unit's user and groups and default config. setpriv execs the service itself, so
        # the signals below reach it.
        setpriv --reuid=understudy --regid=understudy --init-groups --reset-env \
            /usr/sbin/understudyd >>"$work/service.log" 2>&1 &
        service_pid=$!
    fi
    for _ in $(seq 1 150); do
        if ctl check >/dev/null 2>&1; then
            return 0
        fi
        if ! $under_systemd; then
            kill -0 "$service_pid" 2>/dev/null || fail "understudyd exited at start"
        fi
        sleep 0.1
    done
    fail "understudyd did not answer on $url within 15 s"
}
stop_service() {
    local status=0
    if $under_systemd; then
        systemctl stop understudyd.service
        status=$(systemctl show -P ExecMainStatus understudyd.service)
        journalctl -u understudyd.service --no-pager >>"$work/service.log" 2>&1 || true
    else
        kill -TERM "$service_pid"
        wait "$service_pid" || status=$?
        service_pid=
    fi
    expect_equal "understudyd's exit status after SIGTERM" "$status" 0
}
# Read with immutable=1: no -wal or -shm files owned by root left beside the service's database.
schema_version() {
    python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] + "?immutable=1", uri=True).execute("PRAGMA user_version").fetchone()[0])' "$1"
}

step "start the previous understudyd, register a cluster"
start_service
ctl --json appliances >"$work/appliances.json"
python3 - "$work/appliances.json" <<'EOF' || fail "the appliance is not the shipped demo host: $(cat "$work/appliances.json")"
import json, sys
appliances = json.load(open(sys.argv[1]))
assert [a["name"] for a in appliances["appliances"]] == ["local"], appliances
local = appliances["appliances"][0]
assert local["uri"] == "test:///usr/share/understudy/demo-appliance.xml", local
assert local["connected"] is True, local
# The shipped host (256 GiB) less the config's reserve (4096 MiB).
assert local["resources"]["memory_mib"]["capacity"] == 262144 - 4096, local
EOF
cat >"$work/fleet.csv" <<'EOF'
name,priority,mtbf_hours,mttr_hours,group,standby_vcpus,standby_memory_mib,active_vcpus,active_memory_mib
upgrade-erp,800,8760,24,,1,1024,4,8192
EOF
ctl clusters add "$work/fleet.csv" >/dev/null || fail "understudyctl could not register a cluster"
ctl --json clusters show upgrade-erp >/dev/null || fail "the registered cluster is not there"
# The installed completion, sourced as bash-completion loads it, completes the cluster's name
# through the installed understudyctl.
completion_line="understudyctl --url $url --token-file /etc/understudy/admin.token clusters show upgrade-"
completed=$(LINE=$completion_line bash --noprofile --norc -c '
    source /usr/share/bash-completion/completions/understudyctl
    COMP_LINE=$LINE COMP_POINT=${#LINE} _understudyctl
    printf "%s\n" "${COMPREPLY[@]}"')
expect_equal "the completion of '$completion_line'" "$completed" upgrade-erp
stop_service
previous_schema=$(schema_version /var/lib/understudy/understudy.db)

step "upgrade to $version"
apt_install "${deb[understudy]}"
expect_equal "installed understudy" "$(dpkg-query -W -f='${Version}' understudy)" "$version"
expect_equal "the edited config after the upgrade" "$(md5sum <"$conf")" "$conf_sum"
expect_equal "the admin token after the upgrade" "$(head -n 1 /etc/understudy/admin.token)" "$token"
expect_equal understudyd.conf "$(stat -c '%U:%G %a' "$conf")" "root:understudy 640"

step "the upgraded understudyd migrates the database after copying it"
start_service
ctl --json clusters show upgrade-erp >"$work/erp.json" || fail "the cluster did not survive the upgrade"
grep -q '"priority": *800' "$work/erp.json" || fail "the cluster changed in the upgrade: $(cat "$work/erp.json")"
ctl --json appliances >/dev/null
stop_service
schema=$(schema_version /var/lib/understudy/understudy.db)
[ "$schema" -gt "$previous_schema" ] || fail "the database is still at schema $schema (was $previous_schema)"
backup=/var/lib/understudy/understudy.db.pre-v$schema.bak
[ -f "$backup" ] || fail "no copy $backup before the migration: $(ls /var/lib/understudy)"
expect_equal "the copy's schema" "$(schema_version "$backup")" "$previous_schema"
expect_equal "the copy's owner" "$(stat -c '%U' "$backup")" understudy
python3 - /var/lib/understudy/understudy.db "$previous_schema" "$schema" "$backup" <<'EOF' ||
import sqlite3, sys
path, previous, latest, backup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = sqlite3.connect("file:" + path + "?immutable=1", uri=True).execute(
    "SELECT version, from_version, backup FROM schema_history WHERE version > ?", (previous,)).fetchall()
assert [r[0] for r in rows] == list(range(previous + 1, latest + 1)), rows
assert all(r[1] == previous and r[2] == backup for r in rows), rows
EOF
    fail "schema_history does not record the upgrade from $previous_schema with its copy"

step "remove: programs gone, config and data kept"
apt-get remove -y -qq "${packages[@]}" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get remove failed"; }
for program in /usr/sbin/understudyd /usr/bin/understudyctl /usr/bin/understudy-console; do
    [ ! -e "$program" ] || fail "$program is still there after remove"
done
[ -f "$conf" ] || fail "remove deleted the config (only purge may)"
[ -f /var/lib/understudy/understudy.db ] || fail "remove deleted the database (only purge may)"

step "purge: nothing left"
# Only understudy has conffiles, so only it is left to purge.
expect_equal "understudy after remove" "$(dpkg-query -W -f='${Status}' understudy)" "deinstall ok config-files"
apt-get purge -y -qq understudy >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get purge failed"; }
for path in /etc/understudy /var/lib/understudy /etc/systemd/system/multi-user.target.wants/understudyd.service \
    /usr/share/understudy /usr/lib/ocf/resource.d/understudy /usr/share/doc/understudy \
    /usr/share/bash-completion/completions/understudyctl; do
    [ ! -e "$path" ] && [ ! -L "$path" ] || fail "$path is still there after purge"
done
if [ -d /var/lib/systemd/deb-systemd-helper-enabled ] &&
    find /var/lib/systemd/deb-systemd-helper-enabled -name 'understudyd*' | grep -q .; then
    fail "deb-systemd-helper still remembers understudyd.service"
fi
getent passwd understudy >/dev/null && fail "the user understudy is still there after purge"
getent group understudy >/dev/null && fail "the group understudy is still there after purge"
dpkg-statoverride --list | grep -q understudy && fail "a stat override is still there after purge"
for package in "${packages[@]}"; do
    if known_to_dpkg "$package"; then
        fail "$package is still known to dpkg: $(dpkg-query -W -f='${Status}' "$package")"
    fi
done
step "done"
