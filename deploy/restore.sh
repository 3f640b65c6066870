#!/usr/bin/env bash
# Restore a copy made by backup.sh into the EMPTY database named by PORTAL_DATABASE_URL
# (docs/operations.md, "Restoring a backup"; `make restore-drill` runs exactly this):
#   SQLite:     the gzipped copy unpacked into place (checked with integrity_check first)
#   PostgreSQL: pg_restore into an empty database made with createdb, in one transaction
# It refuses a database that holds tables: it never overwrites one.
set -euo pipefail

copy="${1:?usage: restore.sh BACKUP_FILE (portal-....db.gz or portal-....pgdump)}"
url="${PORTAL_DATABASE_URL:-sqlite:///instance/portal.db}"
[ -f "$copy" ] || { echo "restore: no backup at $copy" >&2; exit 1; }

case "$url" in
  sqlite:///*)
    path="${url#sqlite:///}"
    case "$copy" in *.db.gz) ;; *) echo "restore: $copy is not a SQLite copy (.db.gz)" >&2; exit 2 ;; esac
    if [ -s "$path" ] && [ "$(sqlite3 "$path" 'SELECT count(*) FROM sqlite_master;')" != "0" ]; then
      echo "restore: $path holds tables already: restore only into an empty database" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$path")"
    umask 077   # the copy holds balances and sessions: its owner's only
    gunzip -c "$copy" > "$path.part"
    [ "$(sqlite3 "$path.part" 'PRAGMA integrity_check;')" = "ok" ] || {
      echo "restore: the copy fails integrity_check" >&2; rm -f "$path.part"; exit 1; }
    rm -f "$path-wal" "$path-shm"
    mv "$path.part" "$path"
    tables="$(sqlite3 "$path" "SELECT count(*) FROM sqlite_master WHERE type = 'table';")"
    ;;
  postgres://*|postgresql://*)
    case "$copy" in *.pgdump) ;; *) echo "restore: $copy is not a PostgreSQL copy (.pgdump)" >&2; exit 2 ;; esac
    held="$(psql "$url" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';")"
    if [ "$held" != "0" ]; then
      echo "restore: the database holds tables already: restore only into an empty one (createdb)" >&2
      exit 1
    fi
    pg_restore --no-owner --exit-on-error --single-transaction --dbname="$url" "$copy"
    tables="$(psql "$url" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';")"
    ;;
  *)
    echo "restore: unknown database URL scheme in PORTAL_DATABASE_URL" >&2
    exit 2
    ;;
esac
echo "restore: $copy restored ($tables tables)"
