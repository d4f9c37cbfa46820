#!/usr/bin/env bash
# Installs the build into a temporary prefix and checks its man pages as man(1) finds them:
# `man -M PREFIX/share/man 3 bg_client_call` renders the page of <bentogrpc/client.h>, every
# function libbentogrpc.so exports (the public API: the `symbols` test proves it exports bg_*
# and nothing else) has a page in man3 that documents it, each header has its page with a
# whatis description, the CLI's bentogrpc(1) renders, and its bash completion loads.
#   check_man.sh BUILD_DIR               the check (ctest `man_pages`)
#   check_man.sh BUILD_DIR --drop NAME   proves the check can fail (ctest
#     `man_pages_detects_missing_page`): removes NAME's page after installing and succeeds only
#     when the check reports NAME as missing.
set -uo pipefail
build=$(cd "${1:?usage: check_man.sh BUILD_DIR [--drop NAME]}" && pwd)
drop=''
[ "${2:-}" != --drop ] || drop=${3:?--drop needs a NAME}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

cmake --install "$build" --prefix "$tmp/p" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"
  echo "FAIL cmake --install"
  exit 1
}
man3=$tmp/p/share/man/man3
[ -z "$drop" ] || rm -f "$man3/$drop.3"
export MANWIDTH=100 MANPAGER=cat PAGER=cat
unset MANPATH

out=$(man -M "$tmp/p/share/man" 3 bg_client_call 2>&1)
if grep -q '^NAME' <<<"$out" && grep -q 'bentogrpc/client.h - The synchronous client' <<<"$out" &&
  grep -q 'bg_status bg_client_call (bg_client \* client' <<<"$out"; then
  ok "man -M PREFIX/share/man 3 bg_client_call renders bentogrpc/client.h(3)"
else
  bad "man -M PREFIX/share/man 3 bg_client_call renders bentogrpc/client.h(3); got:"
  head -n 20 <<<"$out"
fi
where=$(man -M "$tmp/p/share/man" -w 3 bg_client_call 2>&1)
[[ "$where" == "$man3/"* ]] && ok "the page found is the installed one ($where)" ||
  bad "man -w 3 bg_client_call: $where (not under the prefix)"

# Every exported function: a page named after it, reaching a page that documents it.
mapfile -t functions < <(nm -D --defined-only "$build/libbentogrpc.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u)
[ "${#functions[@]}" -gt 100 ] && ok "libbentogrpc.so exports ${#functions[@]} functions" ||
  bad "libbentogrpc.so exports only ${#functions[@]} functions (nm -D)"
missing=()
for f in "${functions[@]}"; do
  page=$(man -M "$tmp/p/share/man" -w 3 "$f" 2>/dev/null)
  if [[ "$page" != "$man3/"* ]] || ! grep -qF "fB$f\\fP" "$page"; then missing+=("$f"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "every exported function has a man3 page that documents it"
else
  bad "exported functions without a man3 page documenting them: ${missing[*]}"
fi

# Each header's page, with a description whatis/apropos can read (lexgrog).
for page in "$man3"/bentogrpc_*.h.3 "$man3/bg_error.3"; do
  name=$(basename "$page")
  desc=$(lexgrog "$page" 2>&1)
  [[ "$desc" == *" - "* ]] && ok "$name: whatis ${desc#*: }" || bad "$name: lexgrog: $desc"
done
[ -z "$(find "$man3" -xtype l)" ] && ok "no dangling link in man3" ||
  bad "dangling links in man3: $(find "$man3" -xtype l | xargs)"
stray=$(find "$man3" -mindepth 1 ! -name 'bg_*' ! -name 'BG_*' ! -name 'bentogrpc_*' | xargs)
[ -z "$stray" ] && ok "man3 holds only bg_/BG_/bentogrpc_ names" || bad "man3 names outside the API: $stray"

out=$(man -M "$tmp/p/share/man" 1 bentogrpc 2>&1)
grep -q 'command-line client for BentoML gRPC model servers' <<<"$out" &&
  ok "man -M PREFIX/share/man 1 bentogrpc renders" || bad "man 1 bentogrpc: $(head -n 5 <<<"$out")"
completion=$tmp/p/share/bash-completion/completions/bentogrpc
if bash -c 'source "$1" && complete -p bentogrpc' _ "$completion" >"$tmp/complete" 2>&1; then
  ok "bash completion loads: $(cat "$tmp/complete")"
else
  bad "bash completion $completion: $(cat "$tmp/complete")"
fi

echo "$passed passed, $failed failed"
if [ -n "$drop" ]; then
  if [ "$failed" -gt 0 ] && [[ " ${missing[*]} " == *" $drop "* ]]; then
    echo "check_man: the removed page of $drop was reported"
    exit 0
  fi
  echo "check_man: removing the page of $drop was NOT reported" >&2
  exit 1
fi
[ "$failed" -eq 0 ]
