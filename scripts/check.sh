#!/usr/bin/env bash
# House conventions that can drift silently, checked instead of remembered (docs/INTERNALS.md
# says why each exists). Run by scripts/test.sh; exits non-zero naming every violation.
#   1. format:     every tracked C/C++ file is clang-formatted (.clang-format);
#   2. layers:     each file of src/ includes only what its row of the layer table allows
#                  (docs/INTERNALS.md "Layers"; the table below, compared with the document's);
#      includes:   tools/, examples/ and bindings/ include only the public headers
#                  (include/bentogrpc/) and files of their own directory, every "…" include
#                  resolved as the compiler resolves it;
#   3. citations:  every "PROTOCOL.md §N" a comment cites exists in docs/PROTOCOL.md;
#   4. generated:  nothing generated, and no machine-specific path, is committed;
#   5. prefixes:   bg_/BG_ names are the public API (include/bentogrpc/); the library's internal
#                  names are bgi_/BGI_, the CLI's cli_, the tests' bgt_; tools, examples and
#                  bindings name no bgi_/BGI_ at all, integration tests call no bgi_ function
#                  (unit tests and fuzzers test internals on purpose);
#   6. sinks:      the error sink is never NULL inside the library: every BG_API function taking
#                  `bg_error *err` starts with BGI_ERROR_SINK(err), and no `err ? err : &local`
#                  copy remains;
#   7. symbols:    (needs a build) every global symbol the library's objects define is bg_ and
#                  exported by libbentogrpc.so, or bgi_ and hidden, or protoc-c's for our .proto
#                  packages; libbentogrpc.so exports bg_* and nothing else; each object uses
#                  only symbols of its own layer or of the layers its row allows.
# usage: check.sh [--only SECTION[,SECTION...]] [BUILD_DIR]
#   BUILD_DIR (default: build/ when it holds a build newer than src/) is where section 7 finds
#   libbentogrpc_internal.a (or libbentogrpc.a) and libbentogrpc.so. Without a build, section 7
#   says so and is skipped; scripts/test.sh runs it after the build as the ctest `symbols`
#   (`check.sh --only symbols BUILD_DIR`). scripts/check-selftest.sh (ctest
#   `check_detects_violations`) proves each check fails on a planted violation.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
only=''
build=''
while [ $# -gt 0 ]; do
  case "$1" in
  --only) only=$2 && shift 2 ;;
  --only=*) only=${1#--only=} && shift ;;
  -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' && exit 0 ;;
  *) build=$(cd "$1" 2>/dev/null && pwd) || {
    echo "check: $1 is not a directory (a build directory was expected)" >&2
    exit 2
  } && shift ;;
  esac
done
for section in ${only//,/ }; do
  case "$section" in
  format | layers | includes | citations | generated | prefixes | sinks | symbols) ;;
  *) echo "check: --only: no section \"$section\" (format, layers, includes, citations, generated, prefixes, sinks, symbols)" >&2 && exit 2 ;;
  esac
done
cd "$root"
failures=0
fail() {
  echo "check: $*" >&2
  failures=$((failures + 1))
}
# want SECTION: is that section to be run (all of them unless --only names some)?
want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
ran=()

# 1. Formatting.
if want format; then
  ran+=(formatting)
  mapfile -t sources < <(git ls-files '*.c' '*.h' '*.cc')
  if ! clang-format --dry-run -Werror "${sources[@]}" 2>/tmp/check-format.$$; then
    grep -o '^[^:]*:[0-9]*' /tmp/check-format.$$ | sort -u | while read -r where; do
      echo "check: not clang-formatted: $where (run clang-format -i)" >&2
    done
    failures=$((failures + 1))
  fi
  rm -f /tmp/check-format.$$
fi

# Includes, resolved the way the compiler resolves them: "name" first relative to the including
# file's directory, then (like <name>) along the include path. Only tracked files count, so a
# header that exists only in a build tree (generated) does not resolve here and is classified by
# name below.
declare -A tracked=()
while IFS= read -r f; do tracked[$f]=1; done < <(git ls-files)
# normalize PATH: sets REPLY to PATH with "." and "dir/.." removed (a path that climbs out of the
# repository keeps its leading "../", so it is never a tracked file).
normalize() {
  local part out=() IFS=/
  for part in $1; do
    case "$part" in
    '' | .) ;;
    ..) if [ ${#out[@]} -gt 0 ] && [ "${out[-1]}" != .. ]; then unset 'out[-1]'; else out+=(..); fi ;;
    *) out+=("$part") ;;
    esac
  done
  REPLY="${out[*]}"
}
# resolve FILE KIND NAME DIR...: sets REPLY to the tracked file that `#include KIND NAME` in FILE
# reaches (KIND is " or <; DIR... the include path), or to '' when no tracked file is reached.
resolve() {
  local file=$1 kind=$2 name=$3 d
  shift 3
  if [ "$kind" = '"' ]; then
    normalize "${file%/*}/$name"
    [ -n "${tracked[$REPLY]+x}" ] && return
  fi
  for d in "$@"; do
    normalize "$d/$name"
    [ -n "${tracked[$REPLY]+x}" ] && return
  done
  REPLY=''
}
# The headers that exist only in a build tree: protoc-c's, one per tracked .proto (and per
# well-known type, google/protobuf/*), and configured public headers (include/bentogrpc/*.in).
generated_kind() {
  case "$1" in
  google/protobuf/*.pb-c.h) echo proto ;;
  *.pb-c.h) [ -n "${tracked[proto/${1%.pb-c.h}.proto]+x}" ] && echo proto ;;
  bentogrpc/*) [ -n "${tracked[include/$1.in]+x}" ] && echo public ;;
  esac
}
# includes PATHSPEC...: "file<TAB>line<TAB>kind<TAB>name" for every #include of those files
# (and, in Go files, every #include of a cgo preamble, commented with // or inside /* */).
includes() {
  git grep -nE '^[[:space:]]*(//[[:space:]]*)?#[[:space:]]*include[[:space:]]*[<"][^>"]*[>"]' \
    -- "$@" |
    sed -nE 's/^([^:]*):([0-9]+):[[:space:]]*(\/\/)?[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]*)[>"].*/\1\t\2\t\3\t\4\t\5/p' |
    awk -F'\t' -v OFS='\t' '$3 == "" || $1 ~ /\.go$/ { print $1, $2, $4, $5 }'
}

# 2. Layering. The layer table of docs/INTERNALS.md ("Layers"): the layers each layer may
# include besides itself. Every layer may also include the public headers (include/bentogrpc/)
# and system headers. `shared` is the files directly in src/ (error, log, text escaping, UTF-8),
# which every layer uses; they include only each other. protoc-c's generated headers and the
# protobuf-c runtime count as wire (the wire layer owns the protobuf messages).
#
# The table is written here AND in the document, and the two are compared (below) rather than
# the rules being read out of the document: the document's "knows about" column is prose
# ("gRPC Core only", "everything above"), and deriving rules from prose would let a rewording
# loosen them without anyone noticing. With two copies that must agree, a change of the rules is
# an edit of both, reviewed as one, and a drift of either fails this check.
layer_names=(shared value wire descriptors transport engine client)
declare -A layer_allows=(
  [shared]=''
  [value]='shared'
  [wire]='shared value'
  [descriptors]='shared value wire'
  [transport]='shared'
  [engine]='shared transport'
  [client]='shared value wire descriptors transport engine'
)
# Layers the document says know "nothing of gRPC": they include no <grpc/...> header either.
no_grpc_layers=(value)
src_include_path=(src include)

# layer_of FILE: the layer a path of src/ belongs to (src/X/... is X, src/file is shared).
layer_of() {
  case "$1" in
  src/*/*) REPLY=${1#src/} && REPLY=${REPLY%%/*} ;;
  src/*) REPLY=shared ;;
  *) REPLY='' ;;
  esac
}
if want layers; then
  ran+=(layering)
  # The document's table: every row of check.sh's table, with the same "knows about" (the
  # layer names its cell mentions; "everything above" is every row above it), and no other.
  declare -A doc_allows=()
  doc_rows=()
  table=$(awk '/^## Layers/ { s = 1; next } s && /^## / { exit } s && /^\|/' docs/INTERNALS.md)
  if [ -z "$table" ]; then
    fail "docs/INTERNALS.md has no table in its \"## Layers\" section (check.sh's layer table must be printed there)"
  else
    IFS='|' read -ra head <<<"$(head -n1 <<<"$table")"
    col_layer=-1 col_folder=-1 col_knows=-1
    for i in "${!head[@]}"; do
      cell=$(echo "${head[$i]}" | sed -E 's/^ +| +$//g')
      case "$cell" in layer) col_layer=$i ;; folder) col_folder=$i ;; "knows about") col_knows=$i ;; esac
    done
    if [ "$col_layer" -lt 0 ] || [ "$col_folder" -lt 0 ] || [ "$col_knows" -lt 0 ]; then
      fail "docs/INTERNALS.md's layer table needs the columns \"layer\", \"folder\" and \"knows about\""
    fi
    while IFS='|' read -ra row; do
      layer=$(echo "${row[$col_layer]}" | sed -E 's/[` ]//g')
      folder=${row[$col_folder]}
      knows=${row[$col_knows]}
      if [ -z "${layer_allows[$layer]+x}" ]; then
        fail "docs/INTERNALS.md's layer table has a row \"$layer\" that check.sh's table (layer_allows) lacks"
        continue
      fi
      if [ "$layer" = shared ]; then
        [[ "$folder" == *'`src/*.c`'* ]] ||
          fail "docs/INTERNALS.md's layer table: the shared row's folder must name \`src/*.c\`"
      else
        [[ "$folder" == *"\`src/$layer/\`"* ]] ||
          fail "docs/INTERNALS.md's layer table: the $layer row's folder must be \`src/$layer/\`"
      fi
      words=" ${knows//[^A-Za-z_]/ } "
      set_=()
      for l in "${layer_names[@]}"; do
        if [[ "$words" == *" $l "* ]]; then set_+=("$l"); fi
      done
      if [[ "$knows" == *"everything above"* ]]; then set_+=("${doc_rows[@]}"); fi
      doc_allows[$layer]=$(printf '%s\n' "${set_[@]}" | sort -u | xargs)
      doc_rows+=("$layer")
      for l in "${no_grpc_layers[@]}"; do
        if [ "$l" = "$layer" ] && [[ "$knows" != *"nothing of gRPC"* ]]; then
          fail "docs/INTERNALS.md's layer table: check.sh keeps gRPC out of $layer, the document's \"knows about\" must say \"nothing of gRPC\""
        fi
      done
    done < <(tail -n +3 <<<"$table")
    for layer in "${layer_names[@]}"; do
      want_set=$(printf '%s\n' ${layer_allows[$layer]} | sort -u | xargs)
      if [ -z "${doc_allows[$layer]+x}" ]; then
        fail "docs/INTERNALS.md's layer table has no row \"$layer\" (check.sh's table has)"
      elif [ "${doc_allows[$layer]}" != "$want_set" ]; then
        fail "docs/INTERNALS.md says $layer knows about \"${doc_allows[$layer]}\", check.sh's table says \"$want_set\": make them agree"
      fi
    done
  fi
  # Every folder of src/ is a row of the table.
  for dir in $(git ls-files 'src/*/*' | cut -d/ -f2 | sort -u); do
    [ -n "${layer_allows[$dir]+x}" ] ||
      fail "src/$dir/ is not a layer of the table (add a row to docs/INTERNALS.md \"Layers\" and to check.sh's layer_allows)"
  done
  # Every include of every file of src/, root files included.
  while IFS=$'\t' read -r file line kind name; do
    layer_of "$file"
    own=$REPLY
    [ -n "${layer_allows[$own]+x}" ] || continue # reported above
    resolve "$file" "$kind" "$name" "${src_include_path[@]}"
    target='' what=''
    if [ -n "$REPLY" ]; then
      case "$REPLY" in
      src/*) layer_of "$REPLY" && target=$REPLY ;;
      include/bentogrpc/*) target=public ;;
      *) what="$REPLY, outside the library" ;;
      esac
    else
      case "$(generated_kind "$name")" in
      proto) target=wire ;;
      public) target=public ;;
      *)
        if [ "$kind" = '"' ]; then
          what="no file of the tree"
        else
          case "$name" in
          protobuf-c/*) target=wire ;;
          grpc/*) target=grpc ;;
          *) target=system ;;
          esac
        fi
        ;;
      esac
    fi
    where="$file:$line includes $kind$name$([ "$kind" = '"' ] && echo '"' || echo '>')"
    if [ -n "$what" ]; then
      fail "$where, which resolves to $what"
    elif [ "$target" = grpc ]; then
      for l in "${no_grpc_layers[@]}"; do
        [ "$l" != "$own" ] || fail "$where: $own knows nothing of gRPC (docs/INTERNALS.md \"Layers\")"
      done
    elif [ "$target" != public ] && [ "$target" != system ] && [ "$target" != "$own" ] &&
      [[ " ${layer_allows[$own]} " != *" $target "* ]]; then
      fail "$where: $own must not depend on $target ($own knows about: ${layer_allows[$own]:-no other layer}; docs/INTERNALS.md \"Layers\")"
    fi
  done < <(includes 'src/*.c' 'src/*.h')
fi

# 2b. Tools, examples and bindings see the public headers and their own directory only. Their
# include path is include/ (the bentogrpc target's); cgo generates _cgo_export.h into the Go
# package's own build directory.
if want includes; then
  ran+=("public includes")
  while IFS=$'\t' read -r file line kind name; do
    resolve "$file" "$kind" "$name" include
    close=$([ "$kind" = '"' ] && echo '"' || echo '>')
    where="$file:$line includes $kind$name$close"
    if [ -n "$REPLY" ]; then
      case "$REPLY" in
      include/bentogrpc/*) continue ;;
      "${file%/*}"/*/*) ;;
      "${file%/*}"/*) continue ;;
      esac
      fail "$where, which resolves to $REPLY: tools/, examples/ and bindings/ include only the public headers (include/bentogrpc/) and files of their own directory"
    elif [ "$(generated_kind "$name")" = public ]; then
      continue
    elif [ "$kind" = '"' ] && [ "$name" = _cgo_export.h ] && [[ "$file" == bindings/go/* ]]; then
      continue
    elif [ "$kind" = '"' ] || [[ "$name" == */* && "$name" == *..* ]] || [[ "$name" == bentogrpc/* ]]; then
      fail "$where, which resolves to no file of include/bentogrpc/ or of ${file%/*}/: tools/, examples/ and bindings/ include only the public headers and files of their own directory"
    fi
  done < <(includes 'tools/*.c' 'tools/*.h' 'examples/*.c' 'examples/*.h' 'bindings/*.c' \
    'bindings/*.h' 'bindings/*.go')
fi

# 3. Protocol citations resolve.
if want citations; then
  ran+=("protocol citations")
  while IFS= read -r cite; do
    section=${cite#*§}
    if ! grep -qE "^#+ ${section//./\\.}([ .]|$)" docs/PROTOCOL.md 2>/dev/null; then
      fail "a comment cites PROTOCOL.md §$section, which docs/PROTOCOL.md does not have"
    fi
  done < <(git grep -hoE 'PROTOCOL\.md §[0-9]+(\.[0-9]+)*' -- ':!docs/PROTOCOL.md' | sort -u)
fi

# 4. Nothing generated or machine-specific.
if want generated; then
  ran+=("no generated code or machine paths")
  if git ls-files | grep -E '\.pb-c\.[ch]$|_pb2(_grpc)?\.py$|\.pb\.(cc|h)$'; then
    fail "generated protobuf code is committed (it is generated into the build tree)"
  fi
  outside='(/home/|/root/|/work/|/tmp/bash_jobs|\.\./shared/)'
  if git grep -nE "$outside" -- ':!scripts/check.sh' >/dev/null; then
    git grep -nE "$outside" -- ':!scripts/check.sh' >&2
    fail "machine-specific paths, or files outside the repository, are referenced (above)"
  fi
fi

# 5. Prefixes: every bg_/BG_ name outside include/ must be one the public headers declare (or a
#    prefix of such names in prose, e.g. bg_options_set_root_certs_*, or a build/env knob).
if want prefixes; then
  ran+=(prefixes)
  # The public names, and each of their prefixes that ends at an underscore (bg_options_set_).
  declare -A public=() public_prefix=()
  while IFS= read -r name; do
    public[$name]=1
    rest=$name
    while [[ "$rest" == *_* ]]; do
      rest=${rest%_*}
      public_prefix[${rest}_]=1
    done
  done < <(git grep -hoE '\b(bg|BG)_[A-Za-z0-9_]+' -- include/bentogrpc | sort -u)
  while IFS=: read -r file name; do
    case "$name" in BG_SANITIZE* | BG_BUILD* | BG_FUZZ* | BG_SOAK* | BG_SOURCE_DIR | BG_TEST_SOURCE_DIR | bg_protoc_c) continue ;; esac
    [ -z "${public[$name]+x}" ] || continue
    [ -z "${public_prefix[${name%_}_]+x}" ] || continue
    fail "$file uses '$name': bg_/BG_ is the public API's prefix; internal names are bgi_/BGI_"
  done < <(git grep -oE '\b(bg|BG)_[A-Za-z0-9_]+' -- ':!include/bentogrpc' '*.c' '*.h' '*.cc' | sort -u)
  internal=$(git grep -nE '\b(bgi|BGI)_[A-Za-z0-9_]*' -- tools examples bindings | cut -d: -f1,2 | xargs)
  [ -z "$internal" ] || fail "tools, examples and bindings name the library's internals (bgi_/BGI_; they use the public API only): $internal"
  if git grep -lE '\bbgi_[a-z0-9_]+\(' -- 'tests/integration' >/dev/null; then
    fail "integration tests call internal bgi_ functions: $(git grep -lE '\bbgi_[a-z0-9_]+\(' -- tests/integration | tr '\n' ' ')"
  fi
fi

# 6. The error sink.
if want sinks; then
  ran+=("error sinks")
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
fi

# 7. Symbols of a build. The library's objects (the static archive holds exactly them) define,
# as globals, bg_* (the API: BG_API, so libbentogrpc.so exports them), bgi_* (internal, hidden by
# -fvisibility=hidden) and protoc-c's symbols for our .proto packages (package a.b.c gives
# a__b__c__*; the well-known types google__protobuf__*), and the latter only in protoc-c's own
# objects (*.pb-c.c.o). libbentogrpc.so exports bg_* and nothing else (cmake/bentogrpc.map's
# version node is an absolute symbol of its own).
if want symbols; then
  ran+=(symbols)
  explicit=$build
  if [ -z "$build" ] && [ -d build ]; then build=$root/build; fi
  archive=''
  for a in libbentogrpc_internal.a libbentogrpc.a; do
    if [ -n "$build" ] && [ -f "$build/$a" ]; then archive=$build/$a && break; fi
  done
  if [ -z "$archive" ]; then
    if [ -n "$explicit" ]; then
      fail "symbols: $explicit holds no libbentogrpc_internal.a or libbentogrpc.a (build it: bash scripts/build.sh)"
    else
      echo "check: symbols: no build (build/libbentogrpc_internal.a): the symbol check is skipped; the ctest \`symbols\` runs it after the build" >&2
      ran=("${ran[@]/symbols/}")
    fi
  elif [ -z "$explicit" ] && [ -n "$(find src -newer "$archive" \( -name '*.c' -o -name '*.h' \) -print -quit)" ]; then
    echo "check: symbols: build/ is older than src/: the symbol check is skipped (rebuild; the ctest \`symbols\` runs it after the build)" >&2
    ran=("${ran[@]/symbols/}")
  else
    generated='google__protobuf__'
    for proto in $(git ls-files 'proto/*.proto'); do
      package=$(sed -nE 's/^package +([A-Za-z0-9_.]+) *;.*/\1/p' "$proto")
      [ -z "$package" ] || generated="$generated|${package//./__}__"
    done
    # nm -P: "archive[member]: name type value size" (one line per symbol).
    bad=$(nm -A -P -g --defined-only "$archive" 2>&1 | awk -v gen="^($generated)" '
      { member = $1; sub(/^.*\[/, "", member); sub(/\]:$/, "", member); name = $2 }
      name ~ /^bgi?_/ { next }
      name ~ gen && member ~ /\.pb-c\.c\.o(bj)?$/ { next }
      { print member ": " name }')
    [ -z "$bad" ] || fail "symbols: the library defines globals that are neither bg_ (public) nor bgi_ (internal) nor protoc-c's ($generated); give them the bgi_ prefix or make them static: $(echo "$bad" | tr '\n' ' ')"
    # The layers at link level: an object uses (nm -u) only symbols defined by its own layer or
    # by the layers its row allows, public bg_ functions included (a public header is allowed
    # everywhere, but transport calling bg_client_* would still depend on client). The objects
    # are read where CMake compiles them, CMakeFiles/bentogrpc_objects.dir/ mirroring src/;
    # protoc-c's objects (outside its src/) are wire.
    objdir=${archive%/*}/CMakeFiles/bentogrpc_objects.dir
    if [ -d "$objdir/src" ]; then
      mapfile -t objects < <(find "$objdir" -name '*.o' | sort)
      rows=$(for l in "${layer_names[@]}"; do echo "$l:${layer_allows[$l]}"; done | paste -sd';')
      while IFS= read -r v; do
        fail "symbols: $v (docs/INTERNALS.md \"Layers\")"
      done < <({
        nm -A -P -g --defined-only "${objects[@]}" | sed 's/^/D /'
        nm -A -P -u "${objects[@]}" | sed 's/^/U /'
      } | awk -v objdir="$objdir/" -v rows="$rows" '
        function source(path) {
          sub(/:$/, "", path)
          if (index(path, objdir) == 1) path = substr(path, length(objdir) + 1)
          sub(/\.o$/, "", path)
          return path
        }
        function layer(path, parts) {
          if (path ~ /^src\/[^\/]+\//) { split(path, parts, "/"); return parts[2] }
          return path ~ /^src\// ? "shared" : "wire"
        }
        BEGIN {
          n = split(rows, row, ";")
          for (i = 1; i <= n; i++) {
            split(row[i], kv, ":"); ok[kv[1], kv[1]] = 1
            m = split(kv[2], allowed, " ")
            for (j = 1; j <= m; j++) ok[kv[1], allowed[j]] = 1
          }
        }
        $1 == "D" { def[$3] = source($2); next }
        $1 == "U" && ($3 in def) {
          from = source($2); to = def[$3]
          if (!((layer(from), layer(to)) in ok))
            print from " uses " $3 " of " to ": " layer(from) " must not depend on " layer(to)
        }')
    else
      echo "check: symbols: no $objdir/src (CMake's objects of the library): which layer uses which is not checked" >&2
    fi
    so=${archive%/*}/libbentogrpc.so
    if [ ! -f "$so" ]; then
      fail "symbols: $so is missing (the shared library is built with the archive)"
    else
      nodes=$(sed -nE 's/^([A-Za-z0-9_.]+) *\{.*/\1/p' cmake/bentogrpc.map | paste -sd'|')
      exported=$(nm -D -P --defined-only "$so" | awk -v nodes="^(${nodes:-(none)})$" '
        { name = $1; sub(/@.*/, "", name) }
        $2 == "A" && name ~ nodes { next }
        { print name }' | sort -u)
      foreign=$(grep -v '^bg_' <<<"$exported" | grep . | xargs)
      [ -z "$foreign" ] || fail "symbols: libbentogrpc.so exports more than bg_*: $foreign (cmake/bentogrpc.map and -fvisibility=hidden keep the rest local)"
      unexported=$(nm -P -g --defined-only "$archive" | awk '$1 ~ /^bg_/ { print $1 }' | sort -u |
        comm -23 - <(echo "$exported") | xargs)
      [ -z "$unexported" ] || fail "symbols: bg_ names the library defines but libbentogrpc.so does not export (bg_ is the public API: declare them BG_API in include/bentogrpc/, or name internals bgi_): $unexported"
    fi
  fi
fi

# 7. Library messages name the library's functions and settings, never a CLI flag: front ends
#    word their own remedy from bg_error_reason() (tools/cli_exit.c, the bindings). A string
#    literal under src/ holding " --flag" or "(--flag" fails.
flags=$(git grep -nE '"([^"\\]|\\.)*[ (]--[a-z]([^"\\]|\\.)*"' -- 'src/*.c' 'src/*.h' | cut -d: -f1,2 | tr '\n' ' ')
[ -z "$flags" ] || fail "src/ messages name CLI flags (use the library's names; the CLI adds its advice by reason): $flags"

if [ "$failures" -ne 0 ]; then
  echo "check: $failures problem(s)" >&2
  exit 1
fi
checked=$(printf '%s\n' "${ran[@]}" | grep . | paste -sd, | sed 's/,/, /g')
echo "check: ${checked:-nothing checked}: OK"
