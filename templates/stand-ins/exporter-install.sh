#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

install_debs

# The binary under the path of the official image (which differs per exporter).
link() {
	test -x "/usr/bin/$1"
	ln -sf "/usr/bin/$1" "$2"
	"$2" --version >/dev/null 2>&1 || "$2" -version >/dev/null 2>&1
}
if [ -e /usr/bin/prometheus-postgres-exporter ]; then
	link prometheus-postgres-exporter /bin/postgres_exporter
fi
if [ -e /usr/bin/prometheus-redis-exporter ]; then
	link prometheus-redis-exporter /redis_exporter
fi
if [ -e /usr/bin/prometheus-nginx-exporter ]; then
	link prometheus-nginx-exporter /usr/bin/nginx-prometheus-exporter
fi
if [ -e /usr/bin/prometheus-node-exporter ]; then
	link prometheus-node-exporter /bin/node_exporter
fi
# Debian's service defaults and man pages are of no use in a container.
rm -rf /etc/default/prometheus-* /usr/share/man /usr/share/doc

slim_down
