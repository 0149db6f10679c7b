# Shared by scripts/*-test-server.sh: start a server in the background,
# wait until it answers, stop it by its process id. Sourced, not run.

# wait_ready NAME PIDFILE LOG: polls the caller's `ready` function for 60 s.
wait_ready() {
  local name=$1 pidfile=$2 log=$3
  for _ in $(seq 1 120); do
    if ready; then
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name exited during start-up; its log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$name did not become ready within 60 s; its log:" >&2
  tail -n 30 "$log" >&2
  stop_pid "$pidfile"
  return 1
}

# stop_pid PIDFILE: TERM, up to 5 s, then KILL.
stop_pid() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 10); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# running PIDFILE: the server of this pid file is alive and answers.
running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && ready
}
