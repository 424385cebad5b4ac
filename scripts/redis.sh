#!/usr/bin/env bash
# Redis for the rollout queue's tests and for local scale-out runs (docs/scale-out.md).
#
#   bash scripts/redis.sh install        apt-get install redis-server when missing (apt-get update first);
#                                        MEMPO_SKIP_APT=1 skips, as scripts/setup-system.sh does
#   bash scripts/redis.sh start [DIR]    a throwaway instance on 127.0.0.1 and a random free port, data and
#                                        log in DIR (default: a new temp dir); prints its URL
#                                        (redis://127.0.0.1:PORT) on stdout, also written to DIR/url.
#                                        Idempotent: if DIR already holds a live instance, prints its URL;
#                                        a DIR whose instance died restarts on the same port when it is free.
#                                        Exit 3 (with the reason on stderr) when redis-server is not installed.
#   bash scripts/redis.sh stop DIR       stops the instance of DIR (no-op when none is running)
#   bash scripts/redis.sh                install, then start in a temp dir
#
# The instance listens on loopback only, keeps nothing on disk (no RDB, no AOF) and is not a service:
# stop it with `stop DIR` (or kill the pid in DIR/redis.pid).
set -euo pipefail

install_redis() {
  [ "${MEMPO_SKIP_APT:-0}" = 1 ] && return 0
  command -v redis-server >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || {
    echo "redis.sh: redis-server is missing and apt-get is not available; install Redis ≥ 6.2 by hand" >&2
    return 1
  }
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
}

alive() { # alive DIR: the pid in DIR/redis.pid runs and answers PING
  local dir="$1" pid
  [ -f "$dir/redis.pid" ] && [ -f "$dir/port" ] || return 1
  pid="$(cat "$dir/redis.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  redis-cli -h 127.0.0.1 -p "$(cat "$dir/port")" ping 2>/dev/null | grep -q PONG
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_redis() {
  local dir="${1:-}"
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis.sh: redis-server is not installed (run: bash scripts/redis.sh install)" >&2
    return 3
  fi
  [ -z "$dir" ] && dir="$(mktemp -d "${TMPDIR:-/tmp}/mempo-redis.XXXXXX")"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if alive "$dir"; then
    cat "$dir/url"
    return 0
  fi
  local attempt port previous=""
  [ -f "$dir/port" ] && previous="$(cat "$dir/port")"
  for attempt in $(seq 1 20); do
    if [ "$attempt" = 1 ] && [ -n "$previous" ]; then port="$previous"; else port=$((20000 + RANDOM % 40000)); fi
    port_busy "$port" && continue
    rm -f "$dir/redis.pid"
    if redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --dir "$dir" \
      --save "" --appendonly no --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      for _ in $(seq 1 100); do # up to 5 s for the first PONG
        if alive "$dir"; then
          echo "redis://127.0.0.1:$port" | tee "$dir/url"
          return 0
        fi
        sleep 0.05
      done
      stop_redis "$dir"
    fi
  done
  echo "redis.sh: could not start redis-server on a free loopback port; see $dir/redis.log" >&2
  return 1
}

stop_redis() {
  local dir="${1:?usage: redis.sh stop DIR}" pid
  [ -f "$dir/redis.pid" ] || return 0
  pid="$(cat "$dir/redis.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/redis.pid" "$dir/url"
}

case "${1:-}" in
  install) install_redis ;;
  start) start_redis "${2:-}" ;;
  stop) stop_redis "${2:-}" ;;
  "") install_redis && start_redis ;;
  *)
    echo "usage: bash scripts/redis.sh [install | start [DIR] | stop DIR]" >&2
    exit 2
    ;;
esac
