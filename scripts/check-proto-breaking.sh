#!/usr/bin/env bash
# Fails when the wire contract in proto/ breaks compatibility with the
# previous commit (buf's FILE rules). A clone without that commit, such as
# a shallow one, has nothing to compare against and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse -q --verify HEAD~1 >/dev/null; then
  echo "buf breaking: no previous commit to compare with; skipped"
  exit 0
fi
if ! git cat-file -e HEAD~1:proto 2>/dev/null; then
  echo "buf breaking: the previous commit has no proto/; skipped"
  exit 0
fi
npx buf breaking --against '.git#ref=HEAD~1,subdir=.'
echo "buf breaking: compatible with HEAD~1"
