#!/bin/sh
# Copy one finished WAL segment into the archive directory, durably. Used by PostgreSQL as
#   archive_command = '/usr/local/lib/qinqing/archive-wal.sh %p %f /srv/pg-wal-archive'
# Install: install -o root -g root -m 755 deploy/postgresql/archive-wal.sh /usr/local/lib/qinqing/
#
# Exit 0 only when the segment is safely in the archive: PostgreSQL then recycles its own copy.
# A segment already archived with the same content counts as done (the archiver repeats the last
# segment after a crash); one with DIFFERENT content is an error, never overwritten.
set -eu

if [ "$#" -ne 3 ]; then
    echo "usage: archive-wal.sh WAL_PATH WAL_NAME ARCHIVE_DIR" >&2
    exit 2
fi
src=$1
name=$2
dir=$3
target="$dir/$name"

if [ ! -d "$dir" ]; then
    echo "archive-wal: archive directory $dir is missing (disk not mounted?)" >&2
    exit 1
fi
if [ -e "$target" ]; then
    if cmp -s "$src" "$target"; then
        exit 0
    fi
    echo "archive-wal: $target already exists with different content; refusing to overwrite" >&2
    exit 1
fi

tmp="$dir/.$name.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
# flush the copy, then rename it into place, then flush the directory entry
sync "$tmp"
mv "$tmp" "$target"
sync "$dir"
