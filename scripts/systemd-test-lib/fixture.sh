# SPDX-License-Identifier: Apache-2.0
# Sourced by scripts/systemd-test: the container's stand-ins for the cloud and the image.
#   eni-lab-links.service    veths with the sample state's MACs, eth0 addressed as DHCP would
#                            (ordered before network.target, as a network manager is)
#   eni-lab-imds.service     imds-sim on 100.100.100.200:80 with scripts/imds-state.json
#   eni-lab-consumer.service a service ordered after network-online.target that records the
#                            addresses it finds, as one that binds a secondary address would
#   systemd-networkd-wait-online.service
#                            the image's wait-online unit, in place of networkd's: wanted by
#                            network-online.target only, as on a real image, so that it runs
#                            only when something pulls that target in

install_fixture() {
    local target=$1
    mkdir -p "$target/opt/eni-test"
    cp "$sim" "$target/opt/eni-test/imds-sim"
    cp "$root/scripts/imds-state.json" "$target/opt/eni-test/imds-state.json"
    cp "$deb" "$target/opt/eni-test/"

    cat >"$target/opt/eni-test/links" <<'EOF'
#!/bin/sh
set -e
for i in 0 1 2; do
    ip link add "eth$i" address "00:16:3e:00:00:0$((i + 1))" type veth peer name "vpc-eth$i"
    ip link set "vpc-eth$i" up
done
ip link set eth0 up
ip addr add 192.168.1.201/24 dev eth0
ip route add default via 192.168.1.253 dev eth0
ip addr add 100.100.100.200/32 dev lo
EOF
    chmod 0755 "$target/opt/eni-test/links"

    local units=$target/etc/systemd/system
    cat >"$units/eni-lab-links.service" <<'EOF'
[Unit]
Description=test fixture: ENI-like veth links
DefaultDependencies=no
Wants=network.target
Before=network.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/opt/eni-test/links

[Install]
WantedBy=multi-user.target
EOF
    cat >"$units/eni-lab-imds.service" <<'EOF'
[Unit]
Description=test fixture: the IMDS simulator on 100.100.100.200
DefaultDependencies=no
Requires=eni-lab-links.service
After=eni-lab-links.service
Before=network.target eni-agent-sync.service eni-agent.service shutdown.target
Conflicts=shutdown.target

[Service]
ExecStart=/opt/eni-test/imds-sim --listen 100.100.100.200:80 --state /opt/eni-test/imds-state.json
# Started means answering: the agent's first request must not race the listener.
ExecStartPost=/bin/sh -c 'for i in $(seq 200); do curl -sf http://100.100.100.200/_sim/counters >/dev/null && exit 0; sleep 0.05; done; exit 1'

[Install]
WantedBy=multi-user.target
EOF
    cat >"$units/eni-lab-consumer.service" <<'EOF'
[Unit]
Description=test fixture: a service that needs the network online
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip -o addr show > /run/eni-lab-consumer.addrs'

[Install]
WantedBy=multi-user.target
EOF
    cat >"$units/systemd-networkd-wait-online.service" <<'EOF'
[Unit]
Description=test fixture: the image's wait-online unit (in place of systemd-networkd's)
DefaultDependencies=no
After=eni-lab-links.service
Before=network-online.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true

[Install]
WantedBy=network-online.target
EOF
    mkdir -p "$units/network-online.target.wants"
    ln -sf /etc/systemd/system/systemd-networkd-wait-online.service "$units/network-online.target.wants/"
    mkdir -p "$units/multi-user.target.wants"
    for unit in eni-lab-links eni-lab-imds eni-lab-consumer; do
        ln -sf "/etc/systemd/system/$unit.service" "$units/multi-user.target.wants/$unit.service"
    done
}
