#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

add_system_user redis 999 /var/lib/redis
install_debs

mkdir -p /data
chown redis:redis /data
install -m 0755 "$STAGE"/files/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

slim_down
