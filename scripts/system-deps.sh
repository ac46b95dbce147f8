#!/usr/bin/env bash
# Debian packages unspin reads at run time (WordNet, MyThes) and for the benchmark's
# technical-prose corpus; with --browser also Chromium, for the web page's end-to-end
# test. Needs root; see README "Without root" otherwise.
set -euo pipefail
PKGS="wordnet-base wordnet-sense-index mythes-en-us"
# German-English dictionaries: the bilingual pivot (paraphrases through translation).
PKGS="$PKGS dict-de-en dict-freedict-deu-eng dict-freedict-eng-deu"
# Known multiword terms (technical compounds spun word by word): FOLDOC and GCIDE headwords.
PKGS="$PKGS dict-foldoc dict-gcide"
# Technical-prose corpus for the benchmark (small HTML manuals).
PKGS="$PKGS debian-reference-en developers-reference debian-faq maint-guide"
[ "${1:-}" = "--browser" ] && PKGS="chromium"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages:$missing — install them as root, or see README 'Without root'" >&2
  [ -n "${UNSPIN_WORDNET_DIR:-}" ] && exit 0 || exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
