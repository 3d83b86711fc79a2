#!/bin/sh
# Installs what the demo and the tests run against: Dovecot (IMAP) and PostgreSQL.
# As root it uses apt-get; otherwise it says what to install and stops.
set -eu
missing=""
[ -x /usr/sbin/dovecot ] && [ -x /usr/bin/doveadm ] || missing="$missing dovecot-imapd"
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages:$missing" >&2
    echo "Install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "Installing$missing with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null
