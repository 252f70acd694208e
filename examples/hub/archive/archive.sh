#!/bin/sh
# hub://archive: packs SLUICE_PARAM_DIR into SLUICE_PARAM_OUT (a directory, default ".") as
# <dirname>-<UTC time>.tar.gz, then hands back its path, size and SHA-256 through the results file.
set -eu
dir="${SLUICE_PARAM_DIR:?give the directory: --param dir=./data}"
out="${SLUICE_PARAM_OUT:-.}"
[ -d "$dir" ] || { echo "archive: $dir is not a directory" >&2; exit 2; }
mkdir -p "$out"
name="$(basename "$dir")-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
tar -czf "$out/$name" -C "$(dirname "$dir")" "$(basename "$dir")"
size=$(wc -c < "$out/$name" | tr -d ' ')
if command -v sha256sum >/dev/null 2>&1; then
  sum=$(sha256sum "$out/$name" | cut -d' ' -f1)
else
  sum=$(shasum -a 256 "$out/$name" | cut -d' ' -f1) # macOS
fi
echo "archive: wrote $out/$name ($size bytes)"
if [ -n "${SLUICE_RESULTS_FILE:-}" ]; then
  printf '{"archive": "%s", "bytes": %s, "sha256": "%s"}\n' "$out/$name" "$size" "$sum" > "$SLUICE_RESULTS_FILE"
fi
