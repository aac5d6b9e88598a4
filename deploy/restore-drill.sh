#!/bin/sh
# Restore drill: restore a backup made by backup.sh into a NEW scratch database and media
# folder, check it with the application, and compare its row counts with the live
# database. Nothing live is changed; the scratch database is dropped at the end unless
# KEEP=1.
#
#   deploy/restore-drill.sh /var/backups/opfoelgning/db-<stamp>.dump
#
# Environment: the variables of /etc/opfoelgning/env (`set -a; . /etc/opfoelgning/env`):
# DATABASE_URL in the form postgres://user[:pw]@host:port/name names the live database
# (only read, for the counts) and the server the scratch database DRILL_DB (default
# opfoelgning_drill) is made on; the user needs the CREATEDB privilege.
set -eu

dump="${1:?usage: restore-drill.sh BACKUP_DIR/db-<stamp>.dump}"
: "${DATABASE_URL:?DATABASE_URL must be set (see /etc/opfoelgning/env)}"
live_url="$DATABASE_URL"
dir="$(cd "$(dirname "$dump")" && pwd)"
stamp="$(basename "$dump" .dump)"
stamp="${stamp#db-}"
media="$dir/media-$stamp.tar.gz"
app="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$app/.venv/bin/python}"
drill_db="${DRILL_DB:-opfoelgning_drill}"
server="${DATABASE_URL%/*}"
drill_url="$server/$drill_db"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"; [ "${KEEP:-0}" = 1 ] || psql "$server/postgres" -q -c "DROP DATABASE IF EXISTS \"$drill_db\""' EXIT

echo "1. checksums of the backup"
(cd "$dir" && sha256sum --check "SHA256SUMS-$stamp")

echo "2. a new, empty database $drill_db"
psql "$server/postgres" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$drill_db\""

echo "3. pg_restore into it"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$drill_url" "$dump"

echo "4. the media folder into $scratch/media"
tar --extract --gzip --file="$media" --directory="$scratch"
restored_media="$scratch/$(tar --list --gzip --file="$media" | head -1 | cut -d/ -f1)"

echo "5. the application on the restored copy: checks and migrations"
export DJANGO_SETTINGS_MODULE=config.settings.prod DATABASE_URL="$drill_url" MEDIA_ROOT="$restored_media"
(cd "$app" && "$python" manage.py check --deploy --fail-level ERROR)
(cd "$app" && "$python" manage.py migrate --check --noinput)

echo "6. row counts: live and restored"
count_rows() {
  psql "$1" -At -v ON_ERROR_STOP=1 -c "
    SELECT table_name || ' ' || (xpath('/row/n/text()',
           query_to_xml(format('SELECT count(*) AS n FROM %I', table_name), false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name"
}
count_rows "$live_url" > "$scratch/live.txt"
count_rows "$drill_url" > "$scratch/restored.txt"
if diff "$scratch/live.txt" "$scratch/restored.txt"; then
  echo "   identical: $(wc -l < "$scratch/restored.txt") tables"
else
  echo "   differences above (rows written since the backup are expected)"
fi
files="$(find "$restored_media" -type f | wc -l)"
echo "7. restored media files: $files"
echo "restore drill OK"
