#!/usr/bin/env bash
# House conventions that can drift silently, checked instead of remembered (docs/INTERNALS.md
# says why each exists). Run by scripts/test.sh; exits non-zero naming every violation.
#   1. every tracked C/C++ file is clang-formatted (.clang-format);
#   2. src/ layers include only their own or lower layers; tools/, examples/ and bindings see
#      only the public headers;
#   3. every "PROTOCOL.md §N" a comment cites exists in docs/PROTOCOL.md;
#   4. nothing generated, and no machine-specific path, is committed;
#   5. bg_/BG_ names are the public API (include/bentogrpc/); the library's internal names are
#      bgi_/BGI_, the CLI's cli_, the tests' bgt_; tools and tests never call bgi_ functions
#      except unit tests and fuzzers, which test internals on purpose;
#   6. the error sink is never NULL inside the library: every BG_API function taking
#      `bg_error *err` starts with BGI_ERROR_SINK(err), and no `err ? err : &local` copy remains.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
failures=0
fail() {
  echo "check: $*" >&2
  failures=$((failures + 1))
}

# 1. Formatting.
mapfile -t sources < <(git ls-files '*.c' '*.h' '*.cc')
if ! clang-format --dry-run -Werror "${sources[@]}" 2>/tmp/check-format.$$; then
  grep -o '^[^:]*:[0-9]*' /tmp/check-format.$$ | sort -u | while read -r where; do
    echo "check: not clang-formatted: $where (run clang-format -i)" >&2
  done
  failures=$((failures + 1))
fi
rm -f /tmp/check-format.$$

# 2. Layering: a layer may include itself and the layers before it in this list.
layers=(value wire descriptors transport engine client)
rank() {
  local i
  for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && echo "$i" && return; done
  echo -1
}
for file in $(git ls-files 'src/*/*.c' 'src/*/*.h'); do
  own=$(rank "$(echo "$file" | cut -d/ -f2)")
  while IFS= read -r included; do
    layer=${included%%/*}
    target=$(rank "$layer")
    [ "$target" -ge 0 ] || continue # bentogrpc/, grpc/, generated protos: not a layer
    if [ "$target" -gt "$own" ]; then
      fail "$file includes \"$included\": ${layers[$own]} must not depend on $layer (layers: ${layers[*]})"
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done
for file in $(git ls-files 'tools/*.[ch]' 'examples/*.c'); do
  if grep -nE '^#include "(value|wire|descriptors|transport|engine|client)/|error_internal\.h' \
    "$file" >/dev/null; then
    fail "$file includes a library-internal header; tools and examples use the public API only"
  fi
done

# 3. Protocol citations resolve.
while IFS= read -r cite; do
  section=${cite#*§}
  if ! grep -qE "^#+ ${section//./\\.}([ .]|$)" docs/PROTOCOL.md 2>/dev/null; then
    fail "a comment cites PROTOCOL.md §$section, which docs/PROTOCOL.md does not have"
  fi
done < <(git grep -hoE 'PROTOCOL\.md §[0-9]+(\.[0-9]+)*' -- ':!docs/PROTOCOL.md' | sort -u)

# 4. Nothing generated or machine-specific.
if git ls-files | grep -E '\.pb-c\.[ch]$|_pb2(_grpc)?\.py$|\.pb\.(cc|h)$'; then
  fail "generated protobuf code is committed (it is generated into the build tree)"
fi
outside='(/home/|/root/|/work/|/tmp/bash_jobs|\.\./shared/)'
if git grep -nE "$outside" -- ':!scripts/check.sh' >/dev/null; then
  git grep -nE "$outside" -- ':!scripts/check.sh' >&2
  fail "machine-specific paths, or files outside the repository, are referenced (above)"
fi

# 5. Prefixes: every bg_/BG_ name outside include/ must be one the public headers declare (or a
#    prefix of such names in prose, e.g. bg_options_set_root_certs_*, or a build/env knob).
public=$(git grep -hoE '\b(bg|BG)_[A-Za-z0-9_]+' -- include/bentogrpc | sort -u)
while IFS=: read -r file name; do
  case "$name" in BG_SANITIZE* | BG_BUILD* | BG_FUZZ* | BG_SOAK* | BG_SOURCE_DIR | BG_TEST_SOURCE_DIR | bg_protoc_c) continue ;; esac
  grep -qx "$name" <<<"$public" && continue
  grep -q "^${name%_}_" <<<"$public" && continue
  fail "$file uses '$name': bg_/BG_ is the public API's prefix; internal names are bgi_/BGI_"
done < <(git grep -oE '\b(bg|BG)_[A-Za-z0-9_]+' -- ':!include/bentogrpc' '*.c' '*.h' '*.cc' | sort -u)
if git grep -lE '\bbgi_[a-z0-9_]+\(' -- tools examples bindings 'tests/integration' >/dev/null; then
  fail "tools/examples/bindings/integration tests call internal bgi_ functions: $(git grep -lE '\bbgi_[a-z0-9_]+\(' -- tools examples bindings tests/integration | tr '\n' ' ')"
fi

# 6. The error sink.
sink_pending=''
for file in $(git ls-files 'src/*.c'); do
  case " $sink_pending " in *" $file "*) continue ;; esac
  missing=$(awk '/^BG_API / { sig = 1; text = "" }
    sig { text = text $0 }
    sig && /\{$/ { sig = 0; want = text ~ /bg_error \*err\)/; name = text; next }
    want { if ($0 !~ /^  BGI_ERROR_SINK\(err\);/) print name; want = 0 }' "$file")
  [ -z "$missing" ] || fail "$file: BG_API functions taking bg_error *err must start with BGI_ERROR_SINK(err): $(echo "$missing" | sed 's/(.*//' | tr '\n' ' ')"
done
by_hand=$(git grep -nE '\berr \? err :|\berr \? err->' -- 'src/*.c' \
  $(for f in $sink_pending; do echo ":!$f"; done) | cut -d: -f1,2 | tr '\n' ' ')
[ -z "$by_hand" ] || fail "src/ replaces a NULL err by hand (BGI_ERROR_SINK does it once): $by_hand"


# 7. Library messages name the library's functions and settings, never a CLI flag: front ends
#    word their own remedy from bg_error_reason() (tools/cli_exit.c, the bindings). A string
#    literal under src/ holding " --flag" or "(--flag" fails.
flags=$(git grep -nE '"([^"\\]|\\.)*[ (]--[a-z]([^"\\]|\\.)*"' -- 'src/*.c' 'src/*.h' | cut -d: -f1,2 | tr '\n' ' ')
[ -z "$flags" ] || fail "src/ messages name CLI flags (use the library's names; the CLI adds its advice by reason): $flags"

if [ "$failures" -ne 0 ]; then
  echo "check: $failures problem(s)" >&2
  exit 1
fi
echo "check: formatting, layering, protocol citations, no generated code or machine paths, error sinks: OK"
