#!/bin/sh
# Install what aas needs to build and test, on Debian, when it is missing.
set -e
pkgs="make gcc clang libclang-rt-14-dev pkg-config git curl jq ca-certificates
libcurl4-openssl-dev libjansson-dev libyaml-dev libgit2-dev libmicrohttpd-dev
mandoc bubblewrap perl python3"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "aas: missing packages:$missing (run this as root to install)" >&2
	exit 1
fi
echo "aas: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
