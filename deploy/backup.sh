#!/usr/bin/env bash
# A consistent copy of the portal's database, safe while the portal runs:
#   SQLite:     sqlite3's online .backup (a snapshot; writers wait a moment, nobody fails)
#   PostgreSQL: pg_dump --format=custom (restore with pg_restore)
# Settings: PORTAL_DATABASE_URL (as the app's), BACKUP_DIR, KEEP_DAYS (older copies go).
set -euo pipefail

url="${PORTAL_DATABASE_URL:-sqlite:///instance/portal.db}"
dir="${BACKUP_DIR:-/var/backups/portal}"
keep="${KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dir"

case "$url" in
  sqlite:///*)
    path="${url#sqlite:///}"   # sqlite:////abs/path.db -> /abs/path.db; relative stays relative
    [ -f "$path" ] || { echo "backup: no database at $path" >&2; exit 1; }
    out="$dir/portal-$stamp.db"
    sqlite3 "$path" ".backup '$out.part'"
    [ "$(sqlite3 "$out.part" 'PRAGMA integrity_check;')" = "ok" ] || {
      echo "backup: the copy fails integrity_check" >&2; rm -f "$out.part"; exit 1; }
    gzip -6 "$out.part"
    mv "$out.part.gz" "$out.gz"
    out="$out.gz"
    ;;
  postgres://*|postgresql://*)
    out="$dir/portal-$stamp.pgdump"
    pg_dump --format=custom --no-owner --file="$out.part" "$url"
    mv "$out.part" "$out"
    ;;
  *)
    echo "backup: unknown database URL scheme in PORTAL_DATABASE_URL" >&2
    exit 2
    ;;
esac

find "$dir" -maxdepth 1 -name 'portal-*' -mtime +"$keep" -delete
echo "backup: $out ($(du -h "$out" | cut -f1))"
