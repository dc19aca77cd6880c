#!/bin/sh
set -eu
. /tmp/tmctl-stage/lib.sh

add_system_user postgres 999 /var/lib/postgresql
mkdir -p /var/lib/postgresql /etc/postgresql-common/createcluster.d
chown postgres:postgres /var/lib/postgresql
# The entrypoint creates the cluster in $PGDATA; the package must not make its own.
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/tmctl.conf

install_debs

sample=/usr/share/postgresql/15/postgresql.conf.sample
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"

mkdir -p /var/run/postgresql /docker-entrypoint-initdb.d
chown postgres:postgres /var/run/postgresql
chmod 3777 /var/run/postgresql
install -m 0755 "$STAGE"/files/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

slim_down
