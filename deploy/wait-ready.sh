#!/usr/bin/env bash
# Wait until the portal on this machine answers /readyz with 200 (its database answers and
# holds the code's schema): portal.service's ExecStartPost, so `systemctl start|restart
# portal` returns only once the node is ready, and a rolling upgrade goes on node by node.
# Settings: PORT (8000 in portal.env), WAIT_SECONDS (60). Exit 1 with the last reason.
set -uo pipefail
port="${PORT:-8000}"
deadline=$(( SECONDS + ${WAIT_SECONDS:-60} ))
reason="no answer"
while (( SECONDS < deadline )); do
  if reason="$(curl -sS --max-time 2 -w ' (%{http_code})' "http://127.0.0.1:$port/readyz" 2>&1)"; then
    case "$reason" in *"(200)") exit 0 ;; esac
  fi
  sleep 0.5
done
echo "wait-ready: the portal on port $port is not ready: $reason" >&2
exit 1
