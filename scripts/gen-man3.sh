#!/usr/bin/env bash
# Generates the C API's man pages (section 3) from the public headers' Doxygen documentation, at
# build time (cmake/ManPages.cmake's `man3` target), so they cannot drift from the headers.
#   gen-man3.sh DOXYFILE OUT_DIR
# DOXYFILE is build/Doxyfile.man (the `docs` configuration with GENERATE_MAN and MAN_LINKS);
# Doxygen writes one page per header and one per struct, and a link page (`.so`) for every
# documented name. OUT_DIR/man3 receives, from that:
#   - each header's page, named after its include path: <bentogrpc/client.h> is
#     bentogrpc_client.h.3 (Doxygen's client.h.3 would clash with other libraries' pages), its
#     NAME line given a description (the header's first sentence) so whatis/apropos can read it;
#   - the struct pages (bg_error.3) and the list of deprecated functions (bentogrpc_deprecated.3);
#   - for every bg_/BG_ name (function, type, enumerator, macro) a symbolic link to the page
#     that documents it: `man 3 bg_client_call` opens bentogrpc_client.h(3). Link pages for
#     names outside the API's prefix (the fields of bg_error: code, message, ...) are dropped:
#     installed system-wide they would take generic names.
set -euo pipefail
doxyfile=${1:?usage: gen-man3.sh DOXYFILE OUT_DIR}
out=${2:?usage: gen-man3.sh DOXYFILE OUT_DIR}
raw=$out/doxygen
rm -rf "$raw" "$out/man3"
mkdir -p "$raw" "$out/man3"
# Section 3 is the C API: the C headers only (the C++ API, bentogrpc.hpp, is documented in the
# header and the HTML reference; its classes would make pages with C++ names such as
# "bentogrpc_Result_ void _").
{
  cat "$doxyfile"
  echo "OUTPUT_DIRECTORY = $raw"
  echo "FILE_PATTERNS = *.h"
} | doxygen - >/dev/null
src=$raw/man/man3
[ -d "$src" ] || {
  echo "gen-man3: Doxygen wrote no man pages into $src (GENERATE_MAN in $doxyfile?)" >&2
  exit 1
}

# renamed NAME: the installed name of Doxygen's page NAME (without .3).
renamed() {
  case "$1" in
  *.h) echo "bentogrpc_$1" ;;
  deprecated) echo bentogrpc_deprecated ;;
  *) echo "$1" ;;
  esac
}
# wanted NAME: is the installed name one of the API's (or one of ours)?
wanted() { [[ "$1" =~ ^(bg_|BG_|bentogrpc_) ]]; }

pages=0
links=0
for page in "$src"/*.3; do
  name=$(basename "$page" .3)
  new=$(renamed "$name")
  wanted "$new" || continue
  first=$(head -n 1 "$page")
  if [[ "$first" =~ ^\.so\ man3/(.*)\.3$ ]]; then
    target=$(renamed "${BASH_REMATCH[1]}")
    wanted "$target" || continue
    ln -s "$target.3" "$out/man3/$new.3"
    links=$((links + 1))
    continue
  fi
  # The NAME section's line, "title" alone when the entity has no brief: add " \- " and the
  # first sentence of the detailed description (the first text line after its heading).
  sentence=$(awk '/^\.SH "Detailed Description"/ { on = 1; next }
                  on && /^\.PP/ { next }
                  on { print; exit }' "$page" | sed -E 's/\\&\.( .*)?$//; s/[[:space:]]+$//')
  [ "$name" != deprecated ] || sentence="libbentogrpc's deprecated functions and their replacements"
  awk -v q="'" -v title="${new}" -v old="$name" -v sentence="$sentence" '
    NR == 1 && old == "deprecated" { sub(/^\.TH "deprecated"/, ".TH \"" title "\"") }
    prev == ".SH NAME" && $0 !~ /\\-/ && sentence != "" { $0 = $0 " \\- " sentence }
    prev == ".SH NAME" && old == "deprecated" { $0 = title " \\- " sentence }
    # a text line starting with an apostrophe (q) would be a troff control line: escape it
    substr($0, 1, 1) == q { $0 = "\\&" $0 }
    { print; prev = $0 }' "$page" >"$out/man3/$new.3"
  pages=$((pages + 1))
done
[ "$pages" -gt 0 ] && [ "$links" -gt 0 ] || {
  echo "gen-man3: no pages or no links from $src" >&2
  exit 1
}
echo "gen-man3: $pages pages and $links links in $out/man3"
