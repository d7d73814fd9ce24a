#!/bin/sh
# Install what aas needs to build and test, on Debian, when it is missing:
# libraries by package, tools by command (a tool installed another way,
# such as a newer node in /usr/local/bin, is fine).
set -e
pkgs="libcurl4-openssl-dev libjansson-dev libyaml-dev libgit2-dev
libmicrohttpd-dev libclang-rt-14-dev ca-certificates python3-yaml"
tools="make:make cc:gcc clang:clang pkg-config:pkg-config git:git curl:curl
jq:jq mandoc:mandoc bwrap:bubblewrap perl:perl prove:perl python3:python3
patch:patch node:nodejs col:bsdextrautils hyperfine:hyperfine
/usr/bin/time:time xmllint:libxml2-utils chromium:chromium"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
for t in $tools; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
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
