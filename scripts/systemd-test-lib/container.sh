# SPDX-License-Identifier: Apache-2.0
# Sourced by scripts/systemd-test and scripts/coexistence-test: a Debian root debootstrapped once
# and cached, an overlay per run, the package installed into it as an image build does, and a
# container booted on it with systemd as PID 1. The caller defines `fail MESSAGE` and
# `ok MESSAGE`, sets `root`, `started` and `pid1=""`, and traps EXIT to `container_exit`.

elapsed() { awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
step() { printf '\n== %s (%s s)\n' "$1" "$(elapsed)"; }

# Root, and the host tools a container run needs.
container_tools() {
    local need=() pair
    [ "$(id -u)" = 0 ] || fail "needs root (debootstrap, overlay mounts, systemd-nspawn)"
    for pair in systemd-nspawn:systemd-container debootstrap:debootstrap jq:jq; do
        command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
    done
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
}

# `test_inputs [PATH.deb]`: sets `deb`, the given package or else the newest one scripts/package
# left in .build-pkg/out, and `sim`, the static IMDS simulator of the release build.
test_inputs() {
    deb=${1:-$(ls -t "$root"/.build-pkg/out/eni-agent_*.deb 2>/dev/null | head -1)}
    [ -n "$deb" ] && [ -f "$deb" ] || fail "no .deb: run scripts/package first, or pass its path"
    sim=$("$root/scripts/release-build" imds-sim)/imds-sim
}

# The Debian archive of this machine's apt sources: the deb822 stanza (*.sources) or one-line
# entry (sources.list, *.list) that serves this machine's own release. No mirror is assumed:
# every suite comes from that archive.
debian_archive() {
    local release uri
    release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$release" ] || return 0
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v want="$release" '
        BEGIN { RS = ""; FS = "\n" }
        {
            uri = ""; deb = 0; serves = 0; enabled = 1
            for (i = 1; i <= NF; i++) {
                n = split($i, w, /[ \t]+/)
                if (w[1] == "URIs:") uri = w[2]
                if (w[1] == "Types:") for (j = 2; j <= n; j++) if (w[j] == "deb") deb = 1
                if (w[1] == "Suites:") for (j = 2; j <= n; j++) if (w[j] == want) serves = 1
                if (w[1] == "Enabled:" && w[2] == "no") enabled = 0
            }
            if (uri != "" && deb && serves && enabled) { print uri; exit }
        }')
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v want="$release" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == want) { print $i; exit }
            }')
    fi
    echo "$uri"
}

# What every container root holds: systemd as PID 1, the package's dependencies, curl for the
# IMDS simulator's control API, and procps: the package's ExecReload= needs /bin/kill (the deb
# depends on it).
container_packages=systemd,systemd-sysv,dbus,iproute2,libnl-3-200,libnl-route-3-200,curl,procps

# `cached_root SUITE NAME PACKAGES`: a minbase root of SUITE with PACKAGES (comma-separated),
# debootstrapped once into the gitignored .build-pkg/nspawn/NAME and reused while the suite,
# packages and archive stay the same. Takes the cache's lock for the whole run, removes overlays
# left by killed runs, and mounts this run's overlay: sets `base`, `run` (its upper, work and
# merged directories) and `cache`.
cached_root() {
    local suite=$1 name=$2 include=$3 mirror key stale
    cache=$root/.build-pkg/nspawn
    base=$cache/$name
    mirror=$(debian_archive)
    [ -n "$mirror" ] || fail "no Debian archive for this machine's release ($(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")) in the apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list, /etc/apt/sources.list.d/*.list): configure one there; nothing is downloaded from an assumed mirror"
    key="$suite minbase $include $mirror"
    mkdir -p "$cache"
    exec 9>"$cache/lock"
    flock 9
    # Runs hold the lock throughout: an overlay left here was left by a run that was killed.
    for stale in "$cache"/run.*; do
        [ -d "$stale" ] || continue
        umount "$stale/merged" 2>/dev/null || umount -l "$stale/merged" 2>/dev/null || true
        rm -rf "$stale"
    done
    if [ "$(cat "$cache/$name.stamp" 2>/dev/null)" != "$key" ]; then
        step "debootstrap $suite with $include from $mirror (once; cached in $base)"
        rm -rf "$base" "$base.tmp" "$cache/$name.stamp"
        debootstrap --variant=minbase --include="$include" "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap-$name.log" 2>&1 \
            || { tail -20 "$cache/debootstrap-$name.log" >&2; fail "debootstrap $suite from $mirror (log: $cache/debootstrap-$name.log)"; }
        chroot "$base.tmp" apt-get clean
        mv "$base.tmp" "$base"
        echo "$key" >"$cache/$name.stamp"
    fi
    run=$(mktemp -d "$cache/run.XXXXXX")
    mkdir "$run/upper" "$run/work" "$run/merged"
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$run/merged"
}

# `install_into_image DEB`: DEB (a path inside the overlay) installed with dpkg in a chroot, as an
# image build does: no systemd runs, so postinst enables the units and starts nothing. With /proc
# mounted, as image builders (debootstrap, mkosi) have it: systemd-sysusers 247 fails without it
# ("Failed to write files: Function not implemented").
install_into_image() {
    local status=0
    mount -t proc proc "$run/merged/proc"
    chroot "$run/merged" dpkg -i "$1" >"$run/chroot-dpkg.log" 2>&1 || status=$?
    umount "$run/merged/proc"
    [ $status = 0 ] || { cat "$run/chroot-dpkg.log" >&2; fail "dpkg -i in the image"; }
}

nspawn_pid=""
stop_container() {
    [ -n "$nspawn_pid" ] || return 0
    if kill -0 "$nspawn_pid" 2>/dev/null; then
        # SIGTERM asks the container's systemd for a clean poweroff; SIGKILL if it hangs.
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$nspawn_pid" 2>/dev/null || true
    fi
    wait "$nspawn_pid" 2>/dev/null || true
    nspawn_pid=""
    pid1=""
}
container_cleanup() {
    stop_container
    if [ -n "${run:-}" ]; then
        umount "$run/merged" 2>/dev/null || umount -l "$run/merged" 2>/dev/null || true
        rm -rf "$run"
    fi
}
# `trap 'container_exit NAME' EXIT`: container_cleanup, then NAME's verdict and time.
container_exit() {
    local status=$?
    container_cleanup
    printf '\n%s: %s in %s s\n' "$1" "$([ $status = 0 ] && echo passed || echo failed)" "$(elapsed)"
}

# Commands in the container's namespaces (there is no machined to talk to).
box() { nsenter -t "$pid1" -a "$@"; }
prop() { box systemctl show -p "$2" --value "$1"; }
# Polls with a deadline: `eventually SECONDS DESCRIPTION COMMAND...`.
eventually() {
    local seconds=$1 what=$2
    shift 2
    local until=$(( $(date +%s%N) + seconds * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$until" ] || fail "$what (not within ${seconds} s)"
        sleep 0.05
    done
}

# `start_container NAME`: the overlay booted with systemd as PID 1 in its own network namespace;
# returns once systemd says 'running', with `systemd_version` set. Where the host has a cgroup2
# hierarchy (even beside v1 ones), the container gets a unified one and may call bpf(), so the
# units' IP firewall (IPAddressDeny=) works in it.
start_container() {
    local name=$1 bpf_firewall=() state child
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
        bpf_firewall=(--system-call-filter=bpf)
    fi
    systemd-nspawn -q -b -D "$run/merged" -M "$name" --register=no --keep-unit --volatile=overlay \
        --private-network --console=pipe "${bpf_firewall[@]}" </dev/null >"$run/$name.console" 2>&1 &
    nspawn_pid=$!
    local until=$(( $(date +%s) + 20 ))
    while [ -z "$pid1" ]; do
        for child in $(pgrep -P "$nspawn_pid" 2>/dev/null); do
            [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && pid1=$child
        done
        [ -n "$pid1" ] && break
        kill -0 "$nspawn_pid" 2>/dev/null || { cat "$run/$name.console" >&2; fail "the container did not start"; }
        [ "$(date +%s)" -lt "$until" ] || fail "no systemd in the container after 20 s"
        sleep 0.05
    done
    eventually 20 "the container's systemd to listen on /run/systemd/private" box test -S /run/systemd/private
    # Up to 2 minutes: a boot without a metadata service waits for it (scripts/systemd-test's
    # boot 3), boundedly.
    state=$(box timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
    if [ "$state" != running ]; then
        box systemctl --failed --no-pager >&2 || true
        fail "the container's systemd is '$state' after boot, not 'running'"
    fi
    systemd_version=$(box systemctl --version | awk 'NR==1 {print $2}')
}
# `boot NAME`: start_container, and says so.
boot() {
    start_container "$1"
    ok "booted $1: systemd $systemd_version is PID 1 and 'running'"
}
