#!/bin/sh
# Entrypoint of tmctl's PostgreSQL stand-in image. It honours the environment contract of
# the official postgres image: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB (and their
# *_FILE forms), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD and PGDATA.
set -eu

# Sets VAR from VAR or from the file named by VAR_FILE (Docker secrets), else DEFAULT.
file_env() {
	var="$1" default="${2:-}"
	eval "value=\${$var:-}"
	eval "file=\${${var}_FILE:-}"
	if [ -n "$value" ] && [ -n "$file" ]; then
		echo "error: both $var and ${var}_FILE are set; use one of them" >&2
		exit 1
	fi
	if [ -n "$file" ]; then
		value="$(cat "$file")"
	fi
	[ -n "$value" ] || value="$default"
	export "$var=$value"
	unset "${var}_FILE"
}

run_init_scripts() {
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
		*.sh) echo "running $f"; sh "$f" ;;
		*.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname "$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) echo "running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname "$POSTGRES_DB" ;;
		*) echo "ignoring $f" ;;
		esac
	done
}

init_cluster() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set;" >&2
		echo "       set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password)" >&2
		exit 1
	fi

	if [ -n "$POSTGRES_PASSWORD" ]; then
		pwfile="$(mktemp)"
		printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
		# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments
		initdb --username="$POSTGRES_USER" --pwfile="$pwfile" $POSTGRES_INITDB_ARGS
		rm -f "$pwfile"
	else
		# shellcheck disable=SC2086
		initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS
	fi
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

	# A private server (no TCP) for the setup, so clients only see the finished database.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
	if [ "$POSTGRES_DB" != postgres ]; then
		psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname postgres \
			--set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	run_init_scripts
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
}

if [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
	: "${PGDATA:=/var/lib/postgresql/data}"
	export PGDATA
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$PGDATA" /var/run/postgresql
		chmod 700 "$PGDATA"
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		chown postgres:postgres /var/run/postgresql
		chmod 3777 /var/run/postgresql
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		init_cluster
	fi
fi

exec "$@"
