# Sourced by scripts/run and scripts/test: make .venv exist and match pyproject.toml.
# Re-installs only when pyproject.toml changed (a stamp holds its hash), so the
# second start is instant and a fresh machine needs nothing but Python >= 3.11.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "alliance-bot needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
  exit 2
fi
EXTRAS="${ALLIANCE_EXTRAS:-}"
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv ..." >&2
  "$PY" -m venv .venv
fi
# One stamp per set of extras, holding the pyproject.toml hash it was installed
# from. Running the bot after the tests needs nothing new: any stamp with the
# current hash covers the base install, and the test stamp covers both.
HASH="$(sha256sum pyproject.toml | cut -d' ' -f1)"
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$HASH" ]; }
STAMP=".venv/.alliance-installed-${EXTRAS:-base}"
if ! stamp_ok "$STAMP" && ! { [ -z "$EXTRAS" ] && stamp_ok ".venv/.alliance-installed-dev,bench"; }; then
  echo "installing alliance-bot${EXTRAS:+[$EXTRAS]} into .venv ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}" >&2
  echo "$HASH" > "$STAMP"
fi
# The native matcher (Rust, native/): about 7x faster, same results. Optional for a
# user (the Python matcher runs without it); required in CI, whose parity tests need it.
if ! PYBIN="$ROOT/.venv/bin/python" "$ROOT/scripts/build_native.sh"; then
  if [ "${CI:-}" = "true" ] || [ "${ALLIANCE_REQUIRE_NATIVE:-}" = "1" ]; then
    echo "native matcher: build failed, and CI requires it" >&2
    exit 1
  fi
  # An older build must not outlive a failed one: it may predate the Python rules it reads.
  rm -f bot/matcher/_native*.so
  echo "native matcher: not built; classifying with the Python matcher" >&2
fi
