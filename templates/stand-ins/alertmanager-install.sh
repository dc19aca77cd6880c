#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

install_debs

# Paths of the official image: the binary in /bin (amtool is there already: /bin is
# /usr/bin), data in /alertmanager owned by nobody.
ln -sf /usr/bin/prometheus-alertmanager /bin/alertmanager
mkdir -p /alertmanager /etc/alertmanager
chown nobody:nogroup /alertmanager
install -m 0644 "$STAGE"/files/alertmanager.yml /etc/alertmanager/alertmanager.yml
/bin/alertmanager --version >/dev/null 2>&1

slim_down
