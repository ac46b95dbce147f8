"""Clean English prose for the benchmark, read from installed packages (nothing is copied here).

Genres and sources (provenance and licences in the README):

* ``news``         — Lee, Pincombe & Welsh (2005) ABC news articles in PyPI ``gensim``'s test data
                     (``lee_background.cor``, ``lee.cor``);
* ``encyclopedic`` — the shortened English Wikipedia dump in the same test data;
* ``technical``    — Debian's manuals ``debian-reference-en``, ``developers-reference``,
                     ``maint-guide`` and ``debian-faq`` (HTML).

Documents are cut into pieces of at most ``DOC_WORDS`` words (whole paragraphs) and
assigned to the ``dev`` or ``test`` split by a stable hash of their id, so tuning
never sees the documents a benchmark reports on.
"""

from __future__ import annotations

import bz2
import hashlib
import html
import importlib.util
import io
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

DocTuple = tuple[str, str, str]
WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
DOC_WORDS = 400
DEV_SHARE = 0.3


class CorpusError(RuntimeError):
    """A corpus the benchmark needs is not installed."""


@dataclass(frozen=True)
class Document:
    id: str
    genre: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def split(self) -> str:
        h = int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big") / 2**32
        return "dev" if h < DEV_SHARE else "test"


_WS = re.compile(r"\s+")
_END = re.compile(r"[.!?:][\"'\u201d\u2019)\]]*$")
_START = re.compile(r"^[\"'\u201c\u2018(]?[A-Z0-9]")
_CODEY = re.compile(r"[{}<>=_\\|#@~^`]|\w\(|\)\.|::|/\w+/|\w\.\w+\(")


def normalize(text: str) -> str:
    return _WS.sub(" ", text.replace("\u00a0", " ").replace("\u00b6", "")).strip()


def is_prose(par: str, min_words: int = 8, max_code_frac: float = 0.08) -> bool:
    """True if ``par`` looks like one or more ordinary English sentences."""
    words = par.split()
    if len(words) < min_words:
        return False
    if not _START.match(par) or not _END.search(par):
        return False
    alpha = sum(
        1
        for w in words
        if re.fullmatch(r"[\"'(\u201c\u2018]*[A-Za-z][A-Za-z'\u2019-]*[.,;:!?\"')\u201d\u2019]*", w)
    )
    if alpha / len(words) < 0.75:
        return False
    # tokens that look like code/paths/markup
    codey = sum(1 for w in words if _CODEY.search(w))
    if codey / len(words) > max_code_frac:
        return False
    return True


def _join(pars: Iterable[str]) -> str:
    return "\n\n".join(pars)


# --------------------------------------------------------------------------
# gensim test data (directory of an installed gensim, or the wheel itself)
# --------------------------------------------------------------------------


def find_gensim_test_data() -> str | None:
    """Directory gensim/test/test_data of an installed gensim, without importing it."""
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        d = os.path.join(loc, "test", "test_data")
        if os.path.isdir(d):
            return d
    return None


class _GensimData:
    """Reads gensim's test-data files from its installed folder."""

    def __init__(self, location: str):
        self.location = location

    def open(self, name: str):
        path = os.path.join(self.location, name)
        if not os.path.exists(path):
            raise CorpusError(f"corpus file missing: {path}")
        return open(path, "rb")


def _gensim(location: str | None) -> _GensimData:
    location = location or os.environ.get("UNSPIN_GENSIM_DATA") or find_gensim_test_data()
    if not location:
        raise CorpusError("gensim's test data not found: pip install --no-deps gensim==4.3.3 (see README)")
    return _GensimData(location)


def iter_lee_news(location: str | None = None) -> Iterator[DocTuple]:
    """Lee, Pincombe & Welsh (2005) corpus: ABC news articles, one per line.

    lee_background.cor is UTF-8/ASCII, lee.cor is latin-1.  Duplicate
    articles (7 in lee_background.cor) are skipped.  Each article is one
    paragraph in the source; it is split into paragraphs of ~3 sentences
    only if ``split`` is requested by the caller via iter_lee_news_split.
    """
    data = _gensim(location)
    seen = set()
    for name, enc in (("lee_background.cor", "utf-8"), ("lee.cor", "latin-1")):
        with data.open(name) as fh:
            lines = io.TextIOWrapper(fh, encoding=enc).read().splitlines()
        for i, line in enumerate(lines):
            text = normalize(line)
            # a few sentence joins lost a space ("said.Professor")
            text = re.sub(r"(?<=[a-z]{2})\.(?=[A-Z][a-z]{2})", ". ", text)
            if not text or text in seen:
                continue
            seen.add(text)
            if not _END.search(text):  # one article is truncated mid-sentence: drop the fragment
                cut = max(text.rfind(". "), text.rfind('." '), text.rfind("? "))
                text = text[: cut + 1].rstrip() if cut > 0 else text
            text = text.rstrip()
            if not is_prose(text, min_words=6, max_code_frac=1):
                continue
            yield (f"lee/{name.split('.')[0]}/{i:03d}", "news", text)


# ---- MediaWiki markup stripping -------------------------------------------

_NESTED_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_PURE_TEMPLATE = re.compile(r"\{\{[^{}\[\]]*\}\}")  # innermost template without links inside
_PURE_LINK = re.compile(r"\[\[([^\[\]{}]*)\]\]")  # innermost link without templates inside
_NESTED_TABLE = re.compile(r"\{\|(?:(?!\{\|)[\s\S])*?\|\}")
_INNER_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_EXT_LINK = re.compile(r"\[(?:https?:)?//[^\s\]]+\s*([^\]]*)\]")
_REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>[\s\S]*?</ref>", re.I)
_COMMENT = re.compile(r"<!--[\s\S]*?-->")
_DROP_TAGS = re.compile(
    r"<(gallery|math|timeline|score|syntaxhighlight|source|pre|code|imagemap|table)[^>]*>[\s\S]*?</\1>", re.I
)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_FILE_NS = ("file:", "image:", "category:", "media:")


def _link(m: re.Match) -> str:
    inner = m.group(1)
    target = inner.split("|", 1)[0].strip().lower()
    if target.startswith(_FILE_NS) or re.match(r"^[a-z\-]{2,12}:", target):
        return ""  # files/images/categories/interlanguage links
    return inner.rsplit("|", 1)[-1]


_INLINE_TEMPLATES = {
    "ndash": "\u2013",
    "snd": " \u2013 ",
    "spaced ndash": " \u2013 ",
    "mdash": "\u2014",
    "nbsp": " ",
    "'": "'",
    '"': '"',
    "=": "=",
    "!": "|",
}
_KEEP_ARG_TEMPLATES = (
    "lang",
    "nowrap",
    "nobr",
    "small",
    "big",
    "sc",
    "smallcaps",
    "em",
    "sub",
    "sup",
    "nihongo",
    "transl",
    "math",
    "mvar",
    "var",
    "unbulleted",
    "abbr",
    "keypress",
)


def _template(m: re.Match) -> str:
    """Render the few inline templates that carry running text; drop the rest."""
    parts = [p.strip() for p in m.group(0)[2:-2].split("|")]
    name = parts[0].lower().replace("_", " ")
    args = [p for p in parts[1:] if "=" not in p]
    if name in _INLINE_TEMPLATES:
        return _INLINE_TEMPLATES[name]
    if name in ("convert", "cvt") and len(args) >= 2:
        if len(args) >= 3 and args[1] in ("-", "to", "and", "or", "by", "x"):
            return f"{args[0]} {args[1]} {args[2]} {args[3] if len(args) > 3 else ''}".strip()
        return f"{args[0]} {args[1]}"
    if name in ("circa", "c."):
        return "c. " + (args[0] if args else "")
    if (name.startswith(_KEEP_ARG_TEMPLATES) or name.startswith("lang-")) and args:
        return args[-1]
    return ""


def strip_wiki_markup(wikitext: str) -> str:
    """Wikitext -> plain text with paragraphs separated by blank lines."""
    t = html.unescape(wikitext)  # &nbsp; etc. (XML layer already decoded once)
    t = _COMMENT.sub("", t)
    t = _REF.sub("", t)
    t = _DROP_TAGS.sub("", t)
    # innermost-first rewriting until stable; first the unambiguous cases
    # (links without templates inside, templates without links inside), then
    # the permissive patterns for whatever is left.
    for link_re, tmpl_re in ((_PURE_LINK, _PURE_TEMPLATE), (_INNER_LINK, _NESTED_TEMPLATE)):
        while True:
            t2 = link_re.sub(_link, t)
            t2 = tmpl_re.sub(_template, t2)
            t2 = _NESTED_TABLE.sub("", t2)
            if t2 == t:
                break
            t = t2
    t = _EXT_LINK.sub(lambda m: m.group(1), t)
    t = _TAG.sub("", t)
    t = re.sub(r"'{2,}", "", t)  # bold / italics
    t = re.sub(r"\((?:[^\S\n]|[,;])*", "(", t)  # "(; born ..." left by removed IPA templates
    t = re.sub(r"(?:[^\S\n]|[,;])*\)", ")", t)  # "(ANSI, )" -> "(ANSI)"
    t = re.sub(r" ?\(\)", "", t)  # "( )" left by removed templates
    t = re.sub(r"[^\S\n]{2,}", " ", t)
    t = re.sub(r" +([,.;:])", r"\1", t)
    out, cur = [], []
    for line in t.split("\n"):
        s = line.strip()
        if not s or s[0] in "=*#:;|!{}" or s.startswith("----"):
            if cur:
                out.append(" ".join(cur))
                cur = []
            continue
        cur.append(s)
    if cur:
        out.append(" ".join(cur))
    return "\n\n".join(out)


def iter_wikipedia(location: str | None = None, dump: str = WIKI_DUMP) -> Iterator[DocTuple]:
    """Article namespace pages (redirects skipped) of gensim's shortened enwiki dump."""
    data = _gensim(location)
    with data.open(dump) as raw:
        for _ev, el in ET.iterparse(bz2.open(raw)):
            if not el.tag.endswith("}page"):
                continue
            ns = el.findtext("{*}ns")
            title = el.findtext("{*}title") or ""
            text = el.findtext("{*}revision/{*}text") or ""
            el.clear()
            if (
                ns != "0"
                or el.find("{*}redirect") is not None
                or text.lstrip().lower().startswith("#redirect")
            ):
                continue
            pars = [normalize(p) for p in strip_wiki_markup(text).split("\n\n")]
            pars = [p for p in pars if is_prose(p)]
            if pars:
                yield (f"enwiki/{title}", "encyclopedic", _join(pars))


# --------------------------------------------------------------------------
# HTML manuals (Sphinx and DocBook) -> <p> paragraphs
# --------------------------------------------------------------------------

_SKIP_TAGS = {
    "pre",
    "table",
    "script",
    "style",
    "nav",
    "dt",
    "head",
    "code-block",
    "math",
    "svg",
    "header",
    "footer",
}
_SKIP_CLASSES = {
    # sphinx
    "sphinxsidebar",
    "related",
    "footer",
    "highlight",
    "admonition-title",
    "rubric",
    "headerlink",
    "linenos",
    "mobile-nav",
    "inline-search",
    "sidebar-title",
    "caption",
    "versionmodified",
    "availability",
    "audit-hook",
    "toctree-wrapper",
    "seealso",
    "impl-detail",
    "topic",
    "contents",
    # docbook
    "navheader",
    "navfooter",
    "toc",
    "titlepage",
    "screen",
    "programlisting",
    "literallayout",
    "synopsis",
    "cmdsynopsis",
    "table",
    "informaltable",
    "list-of-tables",
    "list-of-figures",
    "footnotes",
    "legalnotice",
    "qandaset",
}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}


class _ParaExtractor(HTMLParser):
    """Collects the text of <p> elements not nested in skipped regions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, skip?)
        self.skip_depth = 0
        self.buf: list | None = None
        self.p_depth = None
        self.paras: list = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
        self.stack.append((tag, skip))
        if skip:
            self.skip_depth += 1
        is_par = tag == "p" or (tag == "div" and "para" in classes)  # Publican uses div.para
        if is_par and self.skip_depth == 0 and self.buf is None:
            self.buf = []
            self.p_depth = len(self.stack)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        # pop to the matching tag (tolerates unclosed elements)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                break
        else:
            return
        while len(self.stack) > i:
            t, skip = self.stack.pop()
            if skip:
                self.skip_depth -= 1
            if self.buf is not None and len(self.stack) < self.p_depth:
                self.paras.append("".join(self.buf))
                self.buf = None

    def handle_data(self, data):
        if self.buf is not None and self.skip_depth == 0:
            self.buf.append(data)


def html_paragraphs(html_text: str) -> list:
    p = _ParaExtractor()
    p.feed(html_text)
    p.close()
    return [normalize(x) for x in p.paras]


def _html_docs(
    root: str, files: Iterable[str], id_prefix: str, genre: str, max_code_frac: float = 0.08
) -> Iterator[DocTuple]:
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            pars = [p for p in html_paragraphs(fh.read()) if is_prose(p, max_code_frac=max_code_frac)]
        if pars:
            yield (f"{id_prefix}/{rel}", genre, _join(pars))


DEBIAN_MANUALS = {
    # name: (root dir, filename regex)
    "debian-reference": ("/usr/share/debian-reference", r"^(ch\d+|apa|pr01)\.en\.html$"),
    "developers-reference": (
        "/usr/share/developers-reference",
        r"^(?!index|search|developers-reference)[\w.-]+\.html$",
    ),
    "maint-guide": ("/usr/share/doc/maint-guide/html", r"^(?!index)\w+\.en\.html$"),
    "debian-faq": ("/usr/share/doc/debian/FAQ", r"^(?!index)[\w-]+\.en\.html$"),
}


def iter_debian_manual(name: str) -> Iterator[DocTuple]:
    root, pat = DEBIAN_MANUALS[name]
    if not os.path.isdir(root):
        raise CorpusError(f"{root} not found: install Debian's {name} package (scripts/system-deps.sh)")
    files = sorted(f for f in os.listdir(root) if re.match(pat, f))
    yield from _html_docs(root, files, name, "technical")


def _pieces(doc: DocTuple) -> Iterator[Document]:
    """Cut a long document into pieces of whole paragraphs, at most ~DOC_WORDS words each."""
    doc_id, genre, text = doc
    buf: list[str] = []
    count = part = 0
    for para in text.split("\n\n"):
        n = len(para.split())
        if buf and count + n > DOC_WORDS:
            yield Document(f"{doc_id}#{part}", genre, "\n\n".join(buf))
            buf, count, part = [], 0, part + 1
        buf.append(para)
        count += n
    if buf:
        yield Document(f"{doc_id}#{part}", genre, "\n\n".join(buf))


_CACHE: list[Document] | None = None


def all_documents() -> list[Document]:
    global _CACHE
    if _CACHE is None:
        sources = [iter_lee_news(), iter_wikipedia()] + [iter_debian_manual(m) for m in DEBIAN_MANUALS]
        _CACHE = [piece for source in sources for doc in source for piece in _pieces(doc)]
    return _CACHE


def documents(split: str) -> list[Document]:
    """Documents of one split (``dev`` or ``test``), in a fixed order."""
    return [d for d in all_documents() if d.split == split]
