#!/usr/bin/env bash
# Builds an English text corpus of at least MIN_BYTES from Debian packages, for the tokenizer's
# reference tests and benchmark: The Devil's Dictionary (dict-devil), fortunes, the R manuals
# (r-doc-pdf, through pdftotext), rendered English man pages (sections 1, 5, 8, sorted) and, only
# if still short, the R reference manual, in that fixed order. Every source is
# passed through iconv so the corpus is valid UTF-8. Output is cut at a line end after MIN_BYTES.
#
# usage: tools/build_corpus.sh OUT MIN_BYTES
set -euo pipefail
out=$1
min_bytes=$2
tmp="$out.tmp"
: >"$tmp"

size() { stat -c %s "$tmp"; }
append() { iconv -f UTF-8 -t UTF-8 -c >>"$tmp"; }
need() { [ "$(size)" -lt "$min_bytes" ]; }
report=""
mark() { report="$report $1=$(size)"; }  # cumulative bytes after each source

for f in /usr/share/dictd/devil.dict.dz; do
  [ -e "$f" ] || { echo "build_corpus: $f missing (apt package dict-devil; run make deps)" >&2; exit 1; }
  zcat "$f" | append
done
mark devil
[ -d /usr/share/games/fortunes ] || { echo "build_corpus: fortunes missing (run make deps)" >&2; exit 1; }
for f in $(find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' | LC_ALL=C sort); do
  need || break
  append <"$f"
done
mark fortunes
for f in $(LC_ALL=C ls /usr/share/R/doc/manual/R-*.pdf 2>/dev/null); do
  need || break
  pdftotext -q -enc UTF-8 "$f" - | append
done
[ -n "$(ls /usr/share/R/doc/manual/R-*.pdf 2>/dev/null)" ] ||
  { echo "build_corpus: R manuals missing (apt package r-doc-pdf; run make deps)" >&2; exit 1; }
mark r-manuals
# English man pages only (the top-level sections; translations live in per-language folders).
for f in $(find /usr/share/man/man1 /usr/share/man/man5 /usr/share/man/man8 -name '*.gz' 2>/dev/null | LC_ALL=C sort); do
  need || break
  MANWIDTH=80 man -l -E UTF-8 "$f" 2>/dev/null | col -bx | append || true
done
mark man-pages
# Filler if the man pages run out: the R reference manual.
if need && [ -e /usr/share/R/doc/manual/fullrefman.pdf ]; then
  pdftotext -q -enc UTF-8 /usr/share/R/doc/manual/fullrefman.pdf - | append
fi
mark r-refman
if need; then
  echo "build_corpus: only $(size) bytes of text available, wanted $min_bytes" >&2
  exit 1
fi
# Cut at the first line end past min_bytes.
head -c "$min_bytes" "$tmp" >"$out.cut"
tail -c +"$((min_bytes + 1))" "$tmp" | sed -n '1p' >>"$out.cut" || true
mv "$out.cut" "$out"
rm -f "$tmp"
echo "build_corpus: wrote $(stat -c %s "$out") bytes to $out (cumulative:$report)"
