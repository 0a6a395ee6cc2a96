# SPDX-License-Identifier: Apache-2.0
# Sourced by scripts/systemd-test: what must hold under the container's systemd. Each check
# says what it proves; `fail` stops the run (cleanup is the caller's trap).

# What the sample state (scripts/imds-state.json) puts on the links.
expected_addresses=(
    "eth0 192.168.1.202/24" "eth0 2408:4005:3a4:ab00::201/64"
    "eth1 192.168.1.211/24" "eth1 192.168.1.212/24" "eth1 192.168.1.213/24"
    "eth1 2408:4005:3a4:ab00::211/64" "eth1 2408:4005:3a4:ab00::212/64"
    "eth2 192.168.1.221/24" "eth2 192.168.1.222/24" "eth2 2408:4005:3a4:ab00::221/64"
)
addresses() { box ip -o addr show | awk '{print $2, $4}' | sort; }
has_all_addresses() {
    local have
    have=$(addresses)
    for a in "${expected_addresses[@]}"; do grep -qxF "$a" <<<"$have" || return 1; done
}
journal_json() { box journalctl --no-pager -o json "$@"; }
mono() { prop "$1" "$2"; }
# True when some JSON line of stdin matches the jq condition (jq -e looks at the last line only).
any_json() { [ -n "$(jq -c "select($1)")" ]; }
is_state() { [ "$(prop "$1" ActiveState)/$(prop "$1" SubState)" = "$2" ]; }

check_live_install() {
    local t0 t1
    t0=$(date +%s%N)
    box dpkg -i "/opt/eni-test/$(basename "$deb")" >"$run/dpkg.log" 2>&1 || { cat "$run/dpkg.log" >&2; fail "dpkg -i"; }
    t1=$(date +%s%N)
    [ "$(box systemctl is-enabled eni-agent.service)" = enabled ] || fail "eni-agent.service is not enabled after install"
    [ "$(box systemctl is-enabled eni-agent-sync.service)" = enabled ] || fail "eni-agent-sync.service is not enabled after install"
    is_state eni-agent active/running || fail "postinst did not leave eni-agent.service active (running): $(prop eni-agent ActiveState)/$(prop eni-agent SubState)"
    [ "$(prop eni-agent-sync ExecMainStartTimestampMonotonic)" = 0 ] || fail "postinst started eni-agent-sync.service"
    has_all_addresses || fail "the addresses are not all there after install: $(addresses | tr '\n' ';')"
    ok "dpkg -i: both units enabled, the daemon started (postinst waited $(( (t1 - t0) / 1000000 )) ms for READY), the sync only enabled"
    ok "the daemon configured every address of the sample state: ${#expected_addresses[@]} on eth0..eth2"
}

check_ready_after_first_sync() {
    box systemctl stop eni-agent
    # Hold the first metadata GET for 2 s: the unit must stay 'activating' until READY=1.
    sim_api PUT faults '[{"path": "/latest/meta-data/*", "method": "GET", "delayMs": 2000, "times": 1}]' >/dev/null \
        || fail "cannot set a fault in imds-sim"
    box systemctl start --no-block eni-agent
    eventually 5 "eni-agent to be activating with the agent's start-up status" \
        eval '[ "$(prop eni-agent ActiveState)" = activating ] && [ "$(prop eni-agent StatusText)" = "starting: first sync" ]'
    ok "before READY: ActiveState=activating, StatusText='starting: first sync'"
    eventually 15 "eni-agent to become active (running)" is_state eni-agent active/running
    local startedAt activeAt
    startedAt=$(mono eni-agent ExecMainStartTimestampMonotonic)
    activeAt=$(mono eni-agent ActiveEnterTimestampMonotonic)
    (( activeAt - startedAt >= 2000000 )) || fail "active $(( (activeAt - startedAt) / 1000 )) ms after start, before the held metadata read could finish"
    ok "active (running) $(( (activeAt - startedAt) / 1000 )) ms after exec: only after READY=1 from the first complete sync"
    sim_api DELETE faults >/dev/null
}

check_status_and_journal() {
    local status
    status=$(prop eni-agent StatusText)
    [[ "$status" =~ ^[0-9]+\ ENIs,\ [0-9]+\ addresses\;\ sync\ \#[0-9]+:\ [0-9]+\ changes\;\ last\ sync\  ]] \
        || fail "StatusText is not the agent's summary: '$status'"
    ok "StatusText='$status'"
    local all adds filtered
    all=$(journal_json -u eni-agent)
    adds=$(jq -c 'select(.ACTION == "add" and .ENI_ID != null and .IFNAME != null and .ADDRESS != null)' <<<"$all")
    [ -n "$adds" ] || fail "no journal entry with ACTION=add and ENI_ID, IFNAME, ADDRESS: $(tail -3 <<<"$all")"
    any_json '.ADDRESS == "192.168.1.212" and .IFNAME == "eth1" and .ENI_ID == "eni-bp1d66qjxb3qoin3ex02"
              and .PRIORITY == "5" and (.MESSAGE | startswith("added 192.168.1.212/24 on eth1"))' <<<"$adds" \
        || fail "no notice entry for 192.168.1.212/24 on eth1 with its ENI_ID: $(head -3 <<<"$adds")"
    ok "journalctl -u eni-agent -o json: $(wc -l <<<"$adds") change entries with ENI_ID, IFNAME, ADDRESS, ACTION, e.g. '$(jq -r 'select(.ADDRESS == "192.168.1.212") | .MESSAGE' <<<"$adds" | head -1)'"
    filtered=$(journal_json -u eni-agent ACTION=add)
    [ "$(jq -r .ACTION <<<"$filtered" | sort -u)" = add ] || fail "journalctl ACTION=add returned other entries"
    [ "$(wc -l <<<"$filtered")" = "$(jq -c 'select(.ACTION == "add")' <<<"$all" | wc -l)" ] || fail "journalctl ACTION=add missed entries"
    ok "journalctl -u eni-agent ACTION=add filters: $(wc -l <<<"$filtered") entries, all ACTION=add"
}

check_system_user_and_state() {
    local pid status uid user
    pid=$(prop eni-agent MainPID)
    status=$(box cat "/proc/$pid/status")
    uid=$(awk '/^Uid:/ {print $2}' <<<"$status")
    user=$(box getent passwd eni-agent) || fail "no eni-agent user: the package's sysusers.d file was not applied"
    [ "$(cut -d: -f3 <<<"$user")" = "$uid" ] && (( uid > 0 && uid < 1000 )) \
        || fail "the daemon runs as uid $uid, not the eni-agent system user ($user)"
    for set in CapEff CapPrm CapBnd CapAmb; do
        [ "$(awk -v s="$set:" '$1 == s {print $2}' <<<"$status")" = 0000000000001000 ] \
            || fail "$set of the daemon is $(awk -v s="$set:" '$1 == s {print $2}' <<<"$status"), not CAP_NET_ADMIN alone"
    done
    ok "the daemon runs as the eni-agent system user (uid $uid, from sysusers.d) holding CAP_NET_ADMIN only (effective, permitted, bounding, ambient); its netlink changes succeeded"
    local stat state
    # A plain directory, the agent's alone: no other user may read or replace the record.
    box test -d /run/eni-agent -a ! -L /run/eni-agent || fail "/run/eni-agent is not a plain directory: $(box ls -ld /run/eni-agent)"
    stat=$(box stat -c '%u %a' /run/eni-agent/state.json /run/eni-agent)
    [ "$stat" = "$uid 600
$uid 700" ] || fail "/run/eni-agent/state.json and its directory: '$stat'"
    state=$(box cat /run/eni-agent/state.json)
    [ "$(jq .pid <<<"$state")" = "$pid" ] || fail "state.json was not written by the daemon (pid $(jq .pid <<<"$state"), MainPID $pid)"
    ok "/run/eni-agent/state.json written by the daemon (uid $uid, mode 600, in a 0700 directory of its own)"

    # A restart keeps it (RuntimeDirectoryPreserve=yes) and the new daemon starts from it.
    local owned
    owned=$(jq -S .ownership <<<"$state")
    box systemctl restart eni-agent
    is_state eni-agent active/running || fail "eni-agent is not running after a restart"
    pid=$(prop eni-agent MainPID)
    eventually 5 "state.json to be rewritten by the restarted daemon" eval '[ "$(box cat /run/eni-agent/state.json | jq .pid)" = "$pid" ]'
    state=$(box cat /run/eni-agent/state.json)
    [ "$(jq -S .ownership <<<"$state")" = "$owned" ] || fail "the ownership record changed across a restart"
    [ -z "$(journal_json -u eni-agent "_PID=$pid" ACTION=add)" ] || fail "the restarted daemon re-added addresses"
    ok "after a restart: state.json kept, same ownership record, nothing re-added"
}

check_metrics_file() {
    # README.md, "Monitoring": the default sandbox does not let the daemon write node_exporter's
    # directory (a warning, the network still managed); the documented drop-in does, and the
    # file is readable by node_exporter's user. The prometheus user and the root-owned
    # directory stand in for Debian's prometheus-node-exporter, as its postinst leaves them.
    local conf=/etc/eni-agent/eni-agent.env dir=/var/lib/prometheus/node-exporter since said
    box sh -c "getent group prometheus >/dev/null || useradd --system --user-group --no-create-home prometheus"
    box install -d -o root -g root -m 0755 "$dir"
    box cp "$conf" "$conf.orig"
    box sh -c "echo ENI_AGENT_METRICS_FILE=$dir/eni-agent.prom >> $conf"
    since=$(box date '+%Y-%m-%d %H:%M:%S.%N' | cut -c1-23)
    box systemctl restart eni-agent
    eventually 30 "the daemon to warn that it cannot write $dir/eni-agent.prom under the default sandbox" \
        sh -c "nsenter -t $pid1 -a journalctl --no-pager -o cat -u eni-agent --since '$since' | grep -q 'cannot write the metrics file'"
    is_state eni-agent active/running || fail "the daemon stopped over an unwritable metrics file: $(prop eni-agent ActiveState)"
    box test ! -e "$dir/eni-agent.prom" || fail "the default sandbox let the daemon write $dir"

    box dpkg-statoverride --update --add root prometheus 2775 "$dir"
    box mkdir -p /etc/systemd/system/eni-agent.service.d
    box sh -c "printf '[Service]\nSupplementaryGroups=prometheus\nReadWritePaths=$dir\n' > /etc/systemd/system/eni-agent.service.d/metrics.conf"
    box systemctl daemon-reload
    box systemctl restart eni-agent
    eventually 30 "the daemon to write $dir/eni-agent.prom with the drop-in" box test -s "$dir/eni-agent.prom"
    box setpriv --reuid=prometheus --regid=prometheus --clear-groups cat "$dir/eni-agent.prom" | grep -q '^eni_agent_build_info{version=' \
        || fail "node_exporter's user cannot read the metrics file: $(box ls -l "$dir")"
    box setpriv --reuid=prometheus --regid=prometheus --clear-groups cat "$dir/eni-agent.prom" | grep -q '^eni_agent_metadata_state{state="complete"} 1$' \
        || fail "the metrics file does not show a complete metadata read: $(box head -c 600 "$dir/eni-agent.prom")"
    local mode
    mode=$(box stat -c '%a %G' "$dir/eni-agent.prom")
    box rm /etc/systemd/system/eni-agent.service.d/metrics.conf
    box systemctl daemon-reload
    box mv "$conf.orig" "$conf"
    box systemctl restart eni-agent
    ok "metrics: the default sandbox refuses $dir (one warning, still running); with the README's drop-in the file is written ($mode) and node_exporter's user reads it"
}

check_reload() {
    # systemd's own debug log is the witness: the notifications it got and the states it went
    # through. (Polling SubState races: the daemon re-reads its file in a millisecond.)
    local conf=/etc/eni-agent/eni-agent.env pid since
    pid=$(prop eni-agent MainPID)
    since=$(box date '+%Y-%m-%d %H:%M:%S.%N' | cut -c1-23)
    box cp "$conf" "$conf.orig"
    box sh -c "printf 'ENI_AGENT_LOG_LEVEL=debug\n' >> $conf"
    box systemd-analyze log-level debug
    local t0
    t0=$(date +%s%N)
    # --no-block, then poll: systemd 252 may end the job when ExecReload's kill exits.
    box systemctl reload --no-block eni-agent
    eventually 5 "the daemon to log 'configuration reloaded'" \
        eval 'journal_json -u eni-agent "_PID=$pid" --since "$since" | any_json ".MESSAGE == \"configuration reloaded\""'
    eventually 5 "eni-agent to be active (running) after the reload" is_state eni-agent active/running
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    box systemd-analyze log-level info
    box mv "$conf.orig" "$conf"
    [ "$(prop eni-agent MainPID)" = "$pid" ] || fail "the reload replaced the process"
    local log
    log=$(box journalctl --no-pager -o cat --since "$since" _PID=1)
    grep -q "eni-agent.service: Changed running -> reload" <<<"$log" || fail "systemd did not put eni-agent into 'reload'"
    grep -Eq "Got notification message from PID $pid \(RELOADING=1" <<<"$log" || fail "no RELOADING=1 from the daemon: $(grep "PID $pid" <<<"$log" | head -5)"
    grep -q "eni-agent.service: Changed reload -> running" <<<"$log" || fail "systemd did not see eni-agent back to 'running'"
    grep -Eq "Got notification message from PID $pid \((READY=1|.*READY=1)" <<<"$log" || fail "no READY=1 after the reload"
    ok "systemctl reload: RELOADING=1, running -> reload -> running (READY=1) in $ms ms, same process, new configuration applied"
    box systemctl reload eni-agent
    eventually 5 "eni-agent to be running after a plain reload" is_state eni-agent active/running
}

check_watchdog() {
    local dropin=/run/systemd/system/eni-agent.service.d
    box mkdir -p "$dropin"
    box sh -c "printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\nLimitCORE=0\n' > $dropin/watchdog-test.conf"
    box systemctl daemon-reload
    box systemctl restart eni-agent
    local pid restarts
    pid=$(prop eni-agent MainPID)
    restarts=$(prop eni-agent NRestarts)
    sleep 3  # the point: time passes, longer than WatchdogSec, and a healthy loop is left alone
    [ "$(prop eni-agent MainPID)" = "$pid" ] && [ "$(prop eni-agent NRestarts)" = "$restarts" ] \
        || fail "the watchdog killed a healthy daemon"
    ok "WatchdogSec=2s: a healthy daemon keeps running for 3 s (the loop feeds the watchdog)"
    local t0
    t0=$(date +%s%N)
    box kill -STOP "$pid"
    eventually 15 "the watchdog to kill and restart the stopped daemon" \
        eval '[ "$(prop eni-agent NRestarts)" -gt "$restarts" ] && [ "$(prop eni-agent MainPID)" != "$pid" ] && is_state eni-agent active/running'
    [[ "$(box journalctl --no-pager -u eni-agent)" == *"Watchdog timeout"* ]] || fail "systemd logged no watchdog timeout"
    ok "SIGSTOP of the main process: watchdog timeout, restarted (NRestarts $restarts -> $(prop eni-agent NRestarts), new MainPID) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    box rm -r "$dropin"
    box systemctl daemon-reload
    box systemctl restart eni-agent
}

check_stop() {
    local before after t0 ms
    before=$(addresses)
    t0=$(date +%s%N)
    box systemctl stop eni-agent
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$(prop eni-agent Result)" = success ] && [ "$(prop eni-agent ExecMainStatus)" = 0 ] \
        || fail "stop was not clean: Result=$(prop eni-agent Result), ExecMainStatus=$(prop eni-agent ExecMainStatus)"
    (( ms < 5000 )) || fail "stop took $ms ms"
    # journald may file the daemon's last entry just after systemd saw it exit.
    eventually 5 "the daemon to log its stop" \
        eval '[[ "$(box journalctl --no-pager -u eni-agent -n 20)" == *"stopping; addresses, routes and rules stay in place"* ]]'
    after=$(addresses)
    [ "$before" = "$after" ] || fail "stop changed the addresses: $(diff <(echo "$before") <(echo "$after") | tr '\n' ';')"
    [[ "$(box ip rule show)" == *"proto eni-agent"* ]] || fail "no rule shows 'proto eni-agent' (rt_protos.d name) after stop"
    box test -f /run/eni-agent/state.json || fail "state.json is gone after stop"
    ok "systemctl stop: exit 0 in $ms ms; addresses, rules ('proto eni-agent') and state.json left in place"
}

check_command_line() {
    local version expected json status
    version=$(box eni-agent --version)
    expected=$(dpkg-deb -f "$deb" Version)
    [ "$version" = "$expected" ] || fail "eni-agent --version in the container says '$version', the package is $expected"
    ok "eni-agent --version: $version (the packaged binary starts here: every library symbol it needs resolved at load, -z now)"
    # With the daemon stopped: take an address away and let one `--sync` put it back. Its own
    # state directory, so that the daemon's state file stays the daemon's.
    is_state eni-agent inactive/dead || fail "the daemon is still running: $(prop eni-agent ActiveState)"
    box ip addr del 192.168.1.212/24 dev eth1
    status=0
    json=$(box env ENI_AGENT_STATE_DIR=/run/eni-test-cli eni-agent --sync --json 2>"$run/sync.err") || status=$?
    box rm -rf /run/eni-test-cli
    [ "$status" = 0 ] || fail "eni-agent --sync exited $status: $(tail -5 "$run/sync.err")"
    jq -e '.ops[] | select(.command | startswith("address add 192.168.1.212/24 dev eth1")) | select(.outcome == "applied")' <<<"$json" >/dev/null \
        || fail "eni-agent --sync --json did not report 192.168.1.212/24 added: $(jq -c '.ops' <<<"$json" | cut -c1-400)"
    has_all_addresses || fail "the addresses are not all there after eni-agent --sync: $(addresses | tr '\n' ';')"
    ok "eni-agent --sync --json: exit 0, $(jq '.ops | length' <<<"$json") change(s), 192.168.1.212/24 back on eth1"
}

check_bad_configuration() {
    # A bad value makes the daemon exit 78 and say that it will not be restarted; the unit's
    # RestartPreventExitStatus=78 holds it to that. Without it Restart=always would keep the unit
    # in activating/auto-restart, 5 s apart, and it would never rest in failed/failed.
    local conf=/etc/eni-agent/eni-agent.env since restarts
    is_state eni-agent inactive/dead || fail "the daemon is still running: $(prop eni-agent ActiveState)"
    since=$(box date '+%Y-%m-%d %H:%M:%S.%N' | cut -c1-23)
    restarts=$(prop eni-agent NRestarts)
    box cp "$conf" "$conf.orig"
    box sh -c "printf 'ENI_AGENT_POLL_INTERVAL=3000000000000h\n' >> $conf"
    box systemctl start --no-block eni-agent
    eventually 30 "eni-agent to rest in failed/failed after exit 78" is_state eni-agent failed/failed
    [ "$(prop eni-agent ExecMainStatus)" = 78 ] || fail "the daemon exited $(prop eni-agent ExecMainStatus), not 78"
    [ "$(prop eni-agent NRestarts)" = "$restarts" ] || fail "systemd restarted eni-agent after exit 78"
    local said
    said=$(box journalctl --no-pager -o cat -u eni-agent --since "$since")
    [[ "$said" == *"ENI_AGENT_POLL_INTERVAL=3000000000000h"* && "$said" == *"systemd will not restart it until the configuration is fixed"* ]] \
        || fail "the journal does not name the value and say the daemon stays stopped: $(tail -3 <<<"$said")"
    box mv "$conf.orig" "$conf"
    box systemctl reset-failed eni-agent
    ok "a bad configuration: exit 78, failed/failed, not restarted, and the journal names the value and says so"
}

check_boot_sync() {
    [ "$(prop eni-agent-sync Result)/$(prop eni-agent-sync ExecMainStatus)" = success/0 ] && is_state eni-agent-sync active/exited \
        || fail "eni-agent-sync.service at boot: $(box systemctl status --no-pager eni-agent-sync | head -20)"
    local synced online consumer
    synced=$(mono eni-agent-sync ExecMainExitTimestampMonotonic)
    online=$(mono network-online.target ActiveEnterTimestampMonotonic)
    consumer=$(mono eni-lab-consumer ExecMainStartTimestampMonotonic)
    (( synced > 0 && synced <= online && online <= consumer )) \
        || fail "order: sync done at $synced, network-online.target at $online, consumer at $consumer (monotonic µs)"
    local seen
    seen=$(box cat /run/eni-lab-consumer.addrs | awk '{print $2, $4}')
    for a in "${expected_addresses[@]}"; do grep -qxF "$a" <<<"$seen" || fail "the consumer did not see $a"; done
    local boot
    boot=$(box systemctl show -p UserspaceTimestampMonotonic --value)
    ok "eni-agent-sync.service exited 0 at +$(( (synced - boot) / 1000 )) ms, network-online.target active at +$(( (online - boot) / 1000 )) ms; a service after it saw all ${#expected_addresses[@]} addresses"
    [ -n "$(journal_json -u eni-agent-sync ACTION=add)" ] || fail "the boot-time sync logged no changes"
    box systemd-analyze critical-chain --no-pager eni-lab-consumer.service | sed -n '/eni-lab-consumer/,$p' | sed 's/^/    /'
}

check_daemon_after_boot_sync() {
    is_state eni-agent active/running || fail "eni-agent.service is not running after boot"
    local pid uid state
    pid=$(prop eni-agent MainPID)
    [ -z "$(journal_json -u eni-agent ACTION=add)" ] || fail "the daemon re-did what the boot-time sync did"
    [[ "$(prop eni-agent StatusText)" == *": 0 changes;"* ]] || fail "StatusText after boot: $(prop eni-agent StatusText)"
    eventually 5 "the daemon to take over state.json" eval '[ "$(box cat /run/eni-agent/state.json | jq .pid)" = "$pid" ]'
    uid=$(box awk '/^Uid:/ {print $2}' "/proc/$pid/status")
    state=$(box stat -c %u /run/eni-agent/state.json)
    [ "$state" = "$uid" ] || fail "state.json belongs to uid $state, the daemon is $uid"
    ok "the daemon started after the sync, changed nothing, and carries on with the sync's state.json (uid $uid)"
    echo "    note: the daemon's memory after boot (smaps_rollup): $(box awk '
        /^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {v += $2}
        END {printf "RSS %.1f MiB, PSS %.1f MiB, private %.1f MiB", r / 1024, p / 1024, v / 1024}' "/proc/$pid/smaps_rollup"); the unit's MemoryCurrent $(prop eni-agent MemoryCurrent | awk '/^[0-9]+$/ {printf "%.1f MiB", $1 / 1048576; next} {print}')"
}

# The units' directives newer than systemd 239 (EL 8), with the version that introduced each: an
# older systemd logs "Unknown key name" for them and starts the unit without that protection
# (README.md, "Hardening by systemd version").
newer_directives=(RestrictSUIDSGID=242 ProtectHostname=242 ProtectKernelLogs=244 ProtectClock=245
    ProtectProc=247 ProcSubset=247 PrivateIPC=248)

check_verify() {
    local out unknown=() d
    for d in "${newer_directives[@]}"; do (( ${d#*=} > systemd_version )) && unknown+=("${d%=*}"); done
    # --man=no: the minimal image has no man(1) to open Documentation=man:eni-agent(8) with; the
    # page itself must be there.
    box test -f /usr/share/man/man8/eni-agent.8.gz || fail "no /usr/share/man/man8/eni-agent.8.gz for Documentation=man:eni-agent(8)"
    out=$(box systemd-analyze verify --man=no eni-agent.service eni-agent-sync.service 2>&1) || fail "systemd-analyze verify: $out"
    out=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$out")  # systemd 247 colours its log lines even into a pipe
    # Each unit names each directive once; every other line is a finding.
    local rest=$out
    for d in "${unknown[@]}"; do
        for unit in eni-agent.service eni-agent-sync.service; do
            grep -Eq "$unit:[0-9]+: Unknown key name '$d' in section 'Service', ignoring\.$" <<<"$out" \
                || fail "systemd $systemd_version does not know $d, but systemd-analyze verify did not say so for $unit: $out"
        done
        rest=$(grep -v "Unknown key name '$d' in section 'Service', ignoring\.$" <<<"$rest" || true)
    done
    [ -z "$rest" ] || fail "systemd-analyze verify is not clean: $rest"
    if [ ${#unknown[@]} -gt 0 ]; then
        ok "systemd-analyze verify: only 'Unknown key name' warnings, for ${unknown[*]} (newer than systemd $systemd_version), which the units start without"
    else
        ok "systemd-analyze verify eni-agent.service eni-agent-sync.service: clean"
    fi
    # IPAddressDeny= needs systemd's BPF firewall (a unified cgroup hierarchy and bpf()). Where it
    # is enforced, the units' own settings are probed with curl, and the agent above reached the
    # metadata service through them.
    local probe=(systemd-run --wait --pipe --quiet)
    for setting in IPAddressDeny IPAddressAllow; do
        probe+=(-p "$setting=$(prop eni-agent "$setting" | sed 's@/32@@g; s@/128@@g')")
    done
    if box systemd-run --wait --pipe --quiet -p IPAddressDeny=any curl -sf -m 2 -o /dev/null http://100.100.100.200/_sim/counters 2>/dev/null; then
        echo "    note: IPAddressDeny= is not enforced in this container (cgroup $(box stat -fc %T /sys/fs/cgroup), no BPF firewall); not checked"
    else
        box "${probe[@]}" curl -sf -m 2 -o /dev/null http://100.100.100.200/_sim/counters \
            || fail "eni-agent.service's IP allow list (${probe[*]:3}) does not let the metadata service through"
        # Something else that answers, to be refused.
        box systemd-run --quiet --unit eni-lab-other /opt/eni-test/imds-sim --listen 127.0.0.1:8080
        eventually 5 "a second listener on 127.0.0.1:8080" box curl -sf -o /dev/null http://127.0.0.1:8080/_sim/counters
        ! box "${probe[@]}" curl -sf -m 2 -o /dev/null http://127.0.0.1:8080/_sim/counters 2>/dev/null \
            || fail "eni-agent.service's IP allow list lets 127.0.0.1 through"
        box systemctl stop eni-lab-other
        ok "the units' IPAddressDeny=any, IPAddressAllow=100.100.100.200 are enforced: the metadata service answers, 127.0.0.1:8080 does not"
    fi
    local exposure
    for unit in eni-agent.service eni-agent-sync.service; do
        exposure=$(box systemd-analyze security --no-pager "$unit" | sed -n 's/.*Overall exposure level for [^:]*: *//p')
        [ -n "$exposure" ] || fail "systemd-analyze security gave no verdict for $unit"
        echo "    note: systemd-analyze security $unit on systemd $systemd_version: exposure $exposure"
    done
}

# An image where nothing wants network-online.target (no consumer): the sync's own
# Wants=network-online.target pulls the target in, and with it the image's wait-online unit,
# which the sync is ordered after. Without that Wants=, the wait-online unit would not run and
# the sync would start right after network.target, before DHCP had configured the primary ENI.
check_boot_order_without_consumer() {
    [ "$(prop eni-lab-consumer LoadState)" = loaded ] && [ "$(prop eni-lab-consumer ExecMainStartTimestampMonotonic)" = 0 ] \
        || fail "the consumer ran in the boot without a consumer"
    [ "$(prop eni-agent-sync Result)/$(prop eni-agent-sync ExecMainStatus)" = success/0 ] && is_state eni-agent-sync active/exited \
        || fail "eni-agent-sync.service at boot: $(box systemctl status --no-pager eni-agent-sync | head -20)"
    local waited started synced online
    waited=$(mono systemd-networkd-wait-online ExecMainExitTimestampMonotonic)
    started=$(mono eni-agent-sync ExecMainStartTimestampMonotonic)
    synced=$(mono eni-agent-sync ExecMainExitTimestampMonotonic)
    online=$(mono network-online.target ActiveEnterTimestampMonotonic)
    (( waited > 0 )) || fail "the wait-online unit did not run: nothing pulled network-online.target in ($(box systemctl list-dependencies --reverse --no-pager network-online.target | head -5 | tr '\n' ' '))"
    (( waited <= started && synced <= online )) \
        || fail "order: wait-online done at $waited, sync started at $started and done at $synced, network-online.target at $online (monotonic µs)"
    ok "no consumer of network-online.target: the sync pulled it in; the wait-online unit done $(( (started - waited) / 1000 )) ms before the sync started, the sync done before network-online.target"
}

# A boot with no metadata service at all: the boot neither hangs nor ends "degraded" (boot()
# already required 'running'). The sync gives up within its read budget with exit 69, which its
# unit counts as done; the daemon reports READY after ENI_AGENT_READY_TIMEOUT with a degraded
# status and keeps trying.
check_dead_metadata_boot() {
    [ "$(prop eni-agent-sync Result)/$(prop eni-agent-sync ExecMainStatus)" = success/69 ] && is_state eni-agent-sync active/exited \
        || fail "eni-agent-sync.service with no metadata service: Result=$(prop eni-agent-sync Result), status $(prop eni-agent-sync ExecMainStatus), $(prop eni-agent-sync ActiveState)/$(prop eni-agent-sync SubState)"
    eventually 60 "the daemon to report READY without a complete sync" is_state eni-agent active/running
    [[ "$(prop eni-agent StatusText)" == degraded:* ]] || fail "the daemon's status without metadata: $(prop eni-agent StatusText)"
    local boot started synced online ready multi
    boot=$(box systemctl show -p UserspaceTimestampMonotonic --value)
    started=$(mono eni-agent-sync ExecMainStartTimestampMonotonic)
    synced=$(mono eni-agent-sync ExecMainExitTimestampMonotonic)
    online=$(mono network-online.target ActiveEnterTimestampMonotonic)
    ready=$(mono eni-agent ActiveEnterTimestampMonotonic)
    multi=$(mono multi-user.target ActiveEnterTimestampMonotonic)
    (( synced <= online )) || fail "network-online.target before the sync gave up"
    ok "no metadata service: sync exit 69 counted as done after $(( (synced - started) / 1000 )) ms; network-online.target at +$(( (online - boot) / 1000 )) ms, the daemon READY (degraded) at +$(( (ready - boot) / 1000 )) ms, multi-user.target at +$(( (multi - boot) / 1000 )) ms; system 'running', not degraded"
}

# An upgrade (the same .deb again: prerm upgrade, postinst configure) restarts the daemon and
# leaves the boot-time sync's "active (exited)" as it was; nothing in the kernel changes.
check_upgrade() {
    local pid before entered
    pid=$(prop eni-agent MainPID)
    before=$(addresses)
    entered=$(mono eni-agent-sync ActiveEnterTimestampMonotonic)
    is_state eni-agent-sync active/exited || fail "eni-agent-sync.service is not active (exited) before the upgrade"
    box dpkg -i "/opt/eni-test/$(basename "$deb")" >"$run/upgrade.log" 2>&1 || { cat "$run/upgrade.log" >&2; fail "dpkg -i over the installed package"; }
    is_state eni-agent active/running && [ "$(prop eni-agent MainPID)" != "$pid" ] || fail "the upgrade did not restart the daemon"
    is_state eni-agent-sync active/exited && [ "$(mono eni-agent-sync ActiveEnterTimestampMonotonic)" = "$entered" ] \
        || fail "the upgrade stopped or re-ran eni-agent-sync.service: $(prop eni-agent-sync ActiveState)/$(prop eni-agent-sync SubState)"
    [ "$(addresses)" = "$before" ] || fail "the upgrade changed the addresses"
    ok "upgrade: the daemon restarted, eni-agent-sync.service still active (exited) from boot, addresses unchanged"
}

# Removal stops both units and leaves the kernel (and the state, until purge) as it is.
check_remove() {
    local before
    before=$(addresses)
    box dpkg -r eni-agent >"$run/remove.log" 2>&1 || { cat "$run/remove.log" >&2; fail "dpkg -r"; }
    for unit in eni-agent eni-agent-sync; do
        [ "$(prop "$unit" ActiveState)" = inactive ] || fail "$unit.service is $(prop "$unit" ActiveState) after removal"
    done
    [ "$(addresses)" = "$before" ] || fail "removal changed the addresses"
    box test -f /run/eni-agent/state.json || fail "removal deleted the state file (purge's job)"
    ok "dpkg -r: both units inactive, addresses, routes and rules and the state file left in place"
}

check_purge() {
    box dpkg -P eni-agent >"$run/purge.log" 2>&1 || { cat "$run/purge.log" >&2; fail "dpkg -P"; }
    local left=()
    for path in /etc/eni-agent /run/eni-agent /run/private/eni-agent; do
        if box test -e "$path" -o -L "$path"; then left+=("$path"); fi
    done
    [ ${#left[@]} = 0 ] || fail "purge left ${left[*]}"
    ok "dpkg -P: /etc/eni-agent, /run/eni-agent (and /run/private/eni-agent) gone"
}
