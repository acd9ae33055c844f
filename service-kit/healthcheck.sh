#!/usr/bin/env bash
# The images' HEALTHCHECK: GET /healthz over bash's /dev/tcp, so that no Node
# process starts for it: Docker runs a check every few seconds, and a Node
# probe would cost each one many times what bash does (docs/performance.md).
#
#   healthcheck.sh DEFAULT_PORT
#
# PORT and HOST are the service's own settings, when they are set.
port=${PORT:-$1}
host=${HOST:-127.0.0.1}
# A service on every interface answers on loopback.
if [[ $host == 0.0.0.0 || $host == :: ]]; then host=127.0.0.1; fi
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 2 protocol status _ <&3 || exit 1
[[ $protocol == HTTP/1.[01] && $status == 200 ]]
