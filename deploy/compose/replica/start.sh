#!/bin/sh
# The replica's entrypoint: on first start, a base backup of the primary (with the settings that
# make it a standby, -R, and its own replication slot, -C -S), then PostgreSQL as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -U jobgraph -d jobgraph; do sleep 1; done
  pg_basebackup -h postgres -U jobgraph -D "$PGDATA" -R -X stream -C -S replica_1 --checkpoint=fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
