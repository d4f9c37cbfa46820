#!/usr/bin/env bash
# Builds the reference docs (the `docs` target, docs/Doxyfile.in) and fails on any Doxygen
# warning: every public header must stay Doxygen-complete (@file, each parameter, the return
# value, every enum member and struct field), so an undocumented addition is caught here.
#   check-docs.sh BUILD_DIR               the check itself (ctest `docs`)
#   check-docs.sh BUILD_DIR --drop-param  proves the check can fail (ctest
#     `docs_detects_missing_param`): runs Doxygen with the same configuration over a copy of
#     the headers with one @param line removed, and succeeds only if that is reported.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: check-docs.sh BUILD_DIR [--drop-param]}" && pwd)
mode=${2:-}

if [ "$mode" = --drop-param ]; then
  scratch=$build/docs-selftest
  rm -rf "$scratch"
  mkdir -p "$scratch/include" "$scratch/out"
  cp -r "$root/include/bentogrpc" "$scratch/include/"
  # value.h's first documented parameter: bg_value_kind_name(kind).
  header=$scratch/include/bentogrpc/value.h
  line=$(grep -n -m1 '@param' "$header" | cut -d: -f1)
  dropped=$(sed -n "${line}p" "$header" | awk '{print $3}')
  func=$(tail -n +"$line" "$header" | grep -m1 -o 'BG_API [^(]*' | grep -o '[a-z_0-9]*$')
  sed -i "${line}d" "$header"
  log=$scratch/warnings.log
  {
    cat "$build/Doxyfile"
    echo "INPUT = $scratch/include/bentogrpc $build/include/bentogrpc/version.h"
    echo "OUTPUT_DIRECTORY = $scratch/out"
    echo "WARN_LOGFILE = $log"
  } | doxygen - >/dev/null || { echo "check-docs: doxygen failed" >&2; exit 1; }
  # Doxygen names the parameter, or (when none is left documented) the function.
  if [ -s "$log" ] && grep -qE "parameter '$dropped'|parameters of member $func " "$log"; then
    echo "check-docs: the removed @param $dropped of $func was reported:"
    cat "$log"
    exit 0
  fi
  echo "check-docs: removing @param $dropped of $func (value.h) was NOT reported; log:" >&2
  cat "$log" >&2 2>/dev/null
  exit 1
fi

log=$build/docs/warnings.log
rm -f "$log"
cmake --build "$build" --target docs || { echo "check-docs: the docs target failed" >&2; exit 1; }
if [ ! -f "$log" ]; then
  echo "check-docs: Doxygen wrote no $log (WARN_LOGFILE in docs/Doxyfile.in?)" >&2
  exit 1
fi
if [ -s "$log" ]; then
  echo "check-docs: Doxygen warnings (document them in the public headers):" >&2
  cat "$log" >&2
  exit 1
fi
echo "check-docs: zero Doxygen warnings; HTML in $build/docs/html"
