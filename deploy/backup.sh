#!/bin/sh
# One backup of Opfølgning: the database (pg_dump, custom format) and the media folder
# (editions, imported documents), with their SHA-256 sums. Run by opfoelgning-backup.service
# with the variables of /etc/opfoelgning/env; old backups are removed after
# BACKUP_KEEP_DAYS days. The rendering cache (MEDIA_ROOT/report-cache) is left out: it is
# rebuilt on demand.
set -eu

: "${DATABASE_URL:?DATABASE_URL must be set (see /etc/opfoelgning/env)}"
: "${MEDIA_ROOT:?MEDIA_ROOT must be set (see /etc/opfoelgning/env)}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/opfoelgning}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"

umask 077
mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
db="db-$stamp.dump"
media="media-$stamp.tar.gz"

# Written under a temporary name first: a file with the final name is always complete.
pg_dump --format=custom --no-owner --no-privileges --file="$BACKUP_DIR/$db.partial" "$DATABASE_URL"
mv "$BACKUP_DIR/$db.partial" "$BACKUP_DIR/$db"

media_parent="$(dirname "$MEDIA_ROOT")"
media_name="$(basename "$MEDIA_ROOT")"
tar --create --gzip --file="$BACKUP_DIR/$media.partial" --directory="$media_parent" \
    --exclude="$media_name/report-cache" "$media_name"
mv "$BACKUP_DIR/$media.partial" "$BACKUP_DIR/$media"

(cd "$BACKUP_DIR" && sha256sum "$db" "$media" > "SHA256SUMS-$stamp")

find "$BACKUP_DIR" -maxdepth 1 -type f \
    \( -name 'db-*.dump' -o -name 'media-*.tar.gz' -o -name 'SHA256SUMS-*' -o -name '*.partial' \) \
    -mtime +"$KEEP_DAYS" -delete

echo "backup $stamp: $(du -h "$BACKUP_DIR/$db" | cut -f1) database, $(du -h "$BACKUP_DIR/$media" | cut -f1) media"
