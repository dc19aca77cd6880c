#!/bin/sh
# Entrypoint of tmctl's Redis stand-in image, with the official image's behaviour: options
# or a config file alone run redis-server; redis-server runs as the redis user; without a
# config file, protected mode is off (the container's network is the boundary).
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = redis-server ]; then
	shift
	if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
		conf="$1"
		shift
		set -- redis-server "$conf" "$@"
	else
		set -- redis-server --protected-mode no "$@"
	fi
	if [ "$(id -u)" = 0 ]; then
		find . \! -user redis -exec chown redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups "$@"
	fi
fi

exec "$@"
