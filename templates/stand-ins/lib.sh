# Shared helpers for the stand-in install scripts; sourced, never run on its own.
# The scripts run inside a scratch container made from the Debian base image, with the
# pre-downloaded packages under $STAGE/debs and no network.

STAGE=/tmp/tmctl-stage
export DEBIAN_FRONTEND=noninteractive

install_debs() {
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confold \
		-o Debug::NoLocking=1 \
		"$STAGE"/debs/*.deb
}

# Creates a system user with a fixed id, as the official images do, so data volumes move
# between the official images and the stand-ins without changing owners.
add_system_user() {
	name="$1" id="$2" home="$3"
	groupadd --system --gid "$id" "$name"
	useradd --system --uid "$id" --gid "$id" --home-dir "$home" --no-create-home \
		--shell /usr/sbin/nologin "$name"
}

slim_down() {
	rm -rf "$STAGE" /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
		/var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old /var/lib/dpkg/*-old
}
