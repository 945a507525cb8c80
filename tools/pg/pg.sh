# shellcheck shell=bash disable=SC2034 # PG_THROWAWAY_* are read by the scripts that source this file
# Private PostgreSQL 15 servers for development, tests and benchmarks, run from
# Debian's binaries (/usr/lib/postgresql/15/bin) in a folder of their own.
# Source this file (tools/dev does); it defines functions only and changes no
# shell options.
#
#   pg_dev_dir CHECKOUT          -> prints the folder of the long-lived dev server
#   pg_init DIR                  initdb DIR/data unless it exists
#   pg_start DIR PORT            start unless running (listen 127.0.0.1:PORT, fsync on)
#   pg_stop DIR                  pg_ctl -m fast stop, if running
#   pg_is_running DIR            status as exit code
#   pg_running_port DIR          -> prints the port of the running server
#   pg_psql PORT DB [psql args]  psql as the postgres role over TCP
#   pg_ensure_db PORT NAME       CREATE DATABASE NAME unless it exists
#   pg_conninfo PORT DB          -> prints a libpq conninfo
#   pg_throwaway_start [PORT]    fresh server in a temp folder on the first free port
#                                from PORT (default 55432) upwards; sets
#                                PG_THROWAWAY_DIR and PG_THROWAWAY_PORT
#   pg_throwaway_stop            stops it and deletes its folder
#
# Layout of a server folder DIR: DIR/data (PGDATA), DIR/sock (Unix socket),
# DIR/server.log. The database superuser is always the role `postgres` with
# trust authentication on 127.0.0.1 only. The server runs as a non-root user:
# the `postgres` system user (via runuser) when we are root, since initdb and
# postgres refuse to run as root; otherwise the current user.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_say() {
  printf '[pg] %s\n' "$*" >&2
}

# -- users and folders ----------------------------------------------------------

# The OS user the server runs as.
pg_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    echo postgres
  else
    id -un
  fi
}

# Runs a command as the server user.
pg_as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# True when the server user can traverse to DIR (every parent searchable).
pg_server_can_reach() {
  pg_as_server_user test -x "$1" 2>/dev/null
}

# Prints a short stable hash of a text.
pg_hash() {
  printf '%s' "$1" | sha256sum | cut -c1-12
}

# A folder is usable for a server when the server user can reach it, its path
# has no whitespace (pg_ctl -o splits on it), and the socket path fits the
# 107-byte limit of Unix sockets.
pg_dir_usable() {
  local dir=$1 socket
  socket="$dir/sock/.s.PGSQL.65535"
  [[ $dir != *[[:space:]]* ]] || return 1
  ((${#socket} < 100)) || return 1
  pg_server_can_reach "$(dirname "$dir")"
}

# Prints the folder of the long-lived development server of CHECKOUT:
# CHECKOUT/.pgdata when usable, else ${TMPDIR:-/tmp}/agora-pg-<hash of CHECKOUT>.
pg_dev_dir() {
  local checkout=$1 dir
  dir="$checkout/.pgdata"
  if pg_dir_usable "$dir"; then
    echo "$dir"
    return
  fi
  local tmp=${TMPDIR:-/tmp}
  dir="$tmp/agora-pg-$(pg_hash "$checkout")"
  if pg_dir_usable "$dir"; then
    echo "$dir"
    return
  fi
  echo "/tmp/agora-pg-$(pg_hash "$checkout")"
}

# Creates DIR (and DIR/sock) owned by the server user, private to it.
pg_make_dir() {
  local dir=$1
  mkdir -p "$dir/sock"
  if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres:postgres "$dir"
  fi
  chmod 700 "$dir"
}

# -- lifecycle ------------------------------------------------------------------

# initdb DIR/data unless it holds a cluster already. Extra arguments go to
# initdb (pg_throwaway_start passes --no-sync).
pg_init() {
  local dir=$1
  shift
  if [[ -f $dir/data/PG_VERSION ]]; then
    return 0
  fi
  [[ -x $PG_BIN/initdb ]] || {
    pg_say "no $PG_BIN/initdb: is postgresql-15 installed?"
    return 1
  }
  pg_make_dir "$dir"
  local locale=(--locale=C.UTF-8)
  if ! locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
    locale=(--no-locale)
  fi
  pg_say "initdb $dir/data (server user $(pg_server_user))"
  if ! pg_as_server_user "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    "${locale[@]}" "$@" >"$dir/initdb.log" 2>&1; then
    pg_say "initdb failed; its output:"
    cat "$dir/initdb.log" >&2
    return 1
  fi
}

pg_is_running() {
  local dir=$1
  [[ -f $dir/data/PG_VERSION ]] || return 1
  pg_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Prints the port of the server running in DIR (line 4 of postmaster.pid).
pg_running_port() {
  sed -n 4p "$1/data/postmaster.pid" 2>/dev/null
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
pg_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts the server of DIR on PORT unless it runs already (then PORT must match).
pg_start() {
  local dir=$1 port=$2
  if pg_is_running "$dir"; then
    local running
    running=$(pg_running_port "$dir")
    if [[ $running != "$port" ]]; then
      pg_say "the server in $dir already runs on port $running, not $port;" \
        "stop it first (tools/dev stop) or use port $running"
      return 1
    fi
    pg_say "already running: $dir on port $port"
    return 0
  fi
  if pg_port_in_use "$port"; then
    pg_say "port $port is taken by another program; choose another one" \
      "(tools/dev: AGORA_DEV_PG_PORT=<port>)"
    return 1
  fi
  pg_make_dir "$dir"
  pg_say "starting PostgreSQL: $dir on 127.0.0.1:$port"
  if ! pg_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" \
    start >/dev/null; then
    pg_say "PostgreSQL did not start; the end of $dir/server.log:"
    tail -n 20 "$dir/server.log" >&2 || true
    return 1
  fi
}

# Stops the server of DIR (fast mode: rolls back open transactions) if it runs.
pg_stop() {
  local dir=$1
  if ! pg_is_running "$dir"; then
    pg_say "not running: $dir"
    return 0
  fi
  pg_say "stopping PostgreSQL in $dir"
  pg_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

# -- clients --------------------------------------------------------------------

pg_conninfo() {
  echo "host=127.0.0.1 port=$1 dbname=$2 user=postgres"
}

# psql as the postgres role over TCP (trust), stopping at the first error.
pg_psql() {
  local port=$1 db=$2
  shift 2
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

pg_ensure_db() {
  local port=$1 name=$2
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || {
    pg_say "invalid database name: $name"
    return 1
  }
  if [[ $(pg_psql "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'") == 1 ]]; then
    return 0
  fi
  pg_say "creating database $name"
  pg_psql "$port" postgres -c "CREATE DATABASE $name"
}

# -- throwaway servers for tests ------------------------------------------------

PG_THROWAWAY_DIR=""
PG_THROWAWAY_PORT=""

# Fresh cluster in a new temp folder, started on the first free port from
# ${1:-55432} upwards (50 tries; a port taken between the check and the start
# is skipped too).
pg_throwaway_start() {
  local port=${1:-55432} parent=${TMPDIR:-/tmp}
  pg_server_can_reach "$parent" || parent=/tmp
  PG_THROWAWAY_DIR=$(mktemp -d "$parent/agora-test-pg.XXXXXX")
  # No fsync during initdb: the folder is deleted afterwards anyway. The
  # server itself runs with fsync on, like production.
  pg_init "$PG_THROWAWAY_DIR" --no-sync || return 1
  local last=$((port + 50))
  for ((; port < last; port++)); do
    pg_port_in_use "$port" && continue
    rm -f "$PG_THROWAWAY_DIR/server.log" # pg_ctl recreates it as the server user
    if pg_start "$PG_THROWAWAY_DIR" "$port" 2>/dev/null; then
      PG_THROWAWAY_PORT=$port
      pg_say "throwaway PostgreSQL on 127.0.0.1:$port in $PG_THROWAWAY_DIR"
      return 0
    fi
    if ! grep -q "could not bind\|Address already in use\|could not create lock file" \
      "$PG_THROWAWAY_DIR/server.log" 2>/dev/null; then
      pg_say "throwaway PostgreSQL did not start; the end of its log:"
      tail -n 20 "$PG_THROWAWAY_DIR/server.log" >&2 || true
      return 1
    fi
  done
  pg_say "no free port in ${1:-55432}..$((last - 1))"
  return 1
}

pg_throwaway_stop() {
  [[ -n $PG_THROWAWAY_DIR ]] || return 0
  pg_stop "$PG_THROWAWAY_DIR" || true
  rm -rf "$PG_THROWAWAY_DIR"
  pg_say "removed $PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=""
  PG_THROWAWAY_PORT=""
}
