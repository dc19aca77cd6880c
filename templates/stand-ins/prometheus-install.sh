#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

install_debs

# Paths of the official image: binaries in /bin, data in /prometheus owned by nobody.
test -x /bin/prometheus
test -x /bin/promtool
mkdir -p /prometheus /usr/share/prometheus
chown nobody:nogroup /prometheus
for dir in consoles console_libraries; do
	if [ -d "/etc/prometheus/$dir" ] && [ ! -e "/usr/share/prometheus/$dir" ]; then
		ln -s "/etc/prometheus/$dir" "/usr/share/prometheus/$dir"
	fi
	mkdir -p "/usr/share/prometheus/$dir"
done
test -f /etc/prometheus/prometheus.yml || install -m 0644 "$STAGE"/files/prometheus.yml /etc/prometheus/prometheus.yml

slim_down
