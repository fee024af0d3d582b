#!/usr/bin/env bash
# Build the native matcher (native/, Rust) into bot/matcher/_native*.so.
#
# Needs cargo and the Debian-packaged crates (pyo3, pcre2) and libpcre2; installs the
# crates with apt-get when it can (root, Debian).  Without them the bot still runs on the
# Python matcher (same results, about 7x slower): this script then says so and exits 3.
# Rebuilds only when native/ changed (cargo decides); prints nothing when up to date.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYBIN="${PYBIN:-$ROOT/.venv/bin/python}"
export PATH="$PATH:$HOME/.cargo/bin:/root/.cargo/bin:/usr/local/cargo/bin"
REG=/usr/share/cargo/registry
need_crates() { ! ls -d "$REG"/pyo3-0.17* "$REG"/pcre2-0.2* >/dev/null 2>&1 || [ ! -e /usr/include/pcre2.h ]; }
if ! command -v cargo >/dev/null 2>&1; then
  echo "native matcher: cargo not found; using the Python matcher" >&2
  exit 3
fi
if need_crates; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "native matcher: installing Debian's Rust crates (pyo3, pcre2) ..." >&2
    apt-get install -y -q librust-pyo3-dev librust-pcre2-dev libpcre2-dev >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q librust-pyo3-dev librust-pcre2-dev libpcre2-dev >/dev/null 2>&1; } \
      || true
  fi
  if need_crates; then
    echo "native matcher: Debian's librust-pyo3-dev, librust-pcre2-dev and libpcre2-dev are missing; using the Python matcher" >&2
    exit 3
  fi
fi
SUFFIX="$("$PYBIN" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
OUT="bot/matcher/_native$SUFFIX"
(cd native && PYO3_PYTHON="$PYBIN" cargo build --release --quiet)
SO=native/target/release/lib_native.so
if [ ! -e "$OUT" ] || ! cmp -s "$SO" "$OUT"; then
  # Copy then rename: a running process keeps its mapped file, a new one gets the new build.
  cp "$SO" "$OUT.tmp" && mv -f "$OUT.tmp" "$OUT"
  echo "native matcher: built $OUT" >&2
fi
