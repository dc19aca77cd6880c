#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

add_system_user nginx 101 /var/cache/nginx
install_debs

# Lay out the configuration like the official image: one nginx.conf including conf.d/*.conf.
rm -f /etc/nginx/sites-enabled/default
install -m 0644 "$STAGE"/files/nginx.conf /etc/nginx/nginx.conf
install -m 0644 "$STAGE"/files/default.conf /etc/nginx/conf.d/default.conf
mkdir -p /usr/share/nginx/html /var/cache/nginx
install -m 0644 "$STAGE"/files/index.html /usr/share/nginx/html/index.html
ln -sf /dev/stdout /var/log/nginx/access.log
ln -sf /dev/stderr /var/log/nginx/error.log
nginx -t

slim_down
