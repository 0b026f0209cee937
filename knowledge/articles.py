"""Knowledge-base articles and their file formats.

An article is a Markdown file whose front matter, between two `---` lines, is YAML:

    ---
    id: password-reset          # unique across the knowledge base
    title: Reset your password
    lang: en                    # ISO 639-1 code; default en
    tags: [account, login]      # optional
    url: https://help.example.com/password   # optional: where the full article lives
    examples:                   # optional: questions this article answers
      - I forgot my password
    ---
    The answer, in Markdown.

Example questions may also be listed in the body under a last heading named
"Example questions" (or "Examples"); they are taken out of the answer text.
Imports also read JSONL (one object a line) and CSV (a header row), both with the
columns id, title, body, lang and optionally tags, url, examples.
"""

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FRONT_MATTER_KEYS = {"id", "title", "lang", "tags", "url", "examples"}
_EXAMPLES_HEADING = re.compile(r"^#{1,6}\s*(example questions|examples)\s*:?\s*$", re.I | re.M)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*\S)\s*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class ArticleError(ValueError):
    """An article file or record that cannot be read; the message names where."""


@dataclass(frozen=True)
class Article:
    """One knowledge-base article: the answer to a kind of question."""

    id: str
    title: str
    body: str
    lang: str = "en"
    tags: tuple[str, ...] = ()
    url: str | None = None
    examples: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """What its language versions share: the id without a `-<lang>` ending
        (`2fa-reset-de` and `2fa-reset` are one article in two languages)."""
        suffix = f"-{self.lang}"
        return self.id[: -len(suffix)] if self.id.endswith(suffix) else self.id


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    """A list of strings from YAML/JSON, or a comma-or-newline separated string (CSV)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        separator = "\n" if key == "examples" else ","
        return tuple(part.strip() for part in value.split(separator) if part.strip())
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return tuple(str(item).strip() for item in value if str(item).strip())
    raise ArticleError(f"{where}: {key} must be a list of strings")


def make_article(record: Mapping[str, Any], where: str, *, strict: bool) -> Article:
    """Validate one record (front matter plus body, or a JSONL/CSV row) into an Article."""
    if strict:
        unknown = sorted(set(record) - FRONT_MATTER_KEYS - {"body"})
        if unknown:
            raise ArticleError(f"{where}: unknown front matter key {unknown[0]!r}")
    values: dict[str, str] = {}
    for key in ("id", "title"):
        value = record.get(key)
        if value is not None and not isinstance(value, str | bool | list | dict):
            value = str(value)  # YAML reads `id: 42` or `id: 2024-01-01` as a number or date
        if not isinstance(value, str) or not value.strip():
            raise ArticleError(f"{where}: {key} is missing or empty")
        values[key] = value.strip()
    lang = str(record.get("lang") or "en").strip().lower()
    if not _LANG.match(lang):
        raise ArticleError(f"{where}: lang {lang!r} is not a language code like en, de or ja")
    url = record.get("url")
    if url is not None and not isinstance(url, str):
        raise ArticleError(f"{where}: url must be a string")
    body = record.get("body") or ""
    if not isinstance(body, str):
        raise ArticleError(f"{where}: body must be text")
    body, listed = split_examples(body)
    return Article(
        id=values["id"],
        title=values["title"],
        body=body,
        lang=lang,
        tags=_strings(record.get("tags"), where, "tags"),
        url=(url.strip() or None) if url else None,
        examples=_strings(record.get("examples"), where, "examples") + listed,
    )


def split_examples(body: str) -> tuple[str, tuple[str, ...]]:
    """Split a trailing "Example questions" section (a bullet list) off a Markdown body."""
    headings = list(_EXAMPLES_HEADING.finditer(body))
    if not headings:
        return body.strip(), ()
    match = headings[-1]  # the last such heading
    tail = body[match.end() :].splitlines()
    bullets = [_BULLET.match(line) for line in tail if line.strip()]
    if not bullets or not all(bullets):
        return body.strip(), ()  # not just a list: leave the section in the answer
    return body[: match.start()].strip(), tuple(b.group(1) for b in bullets if b)


def parse_markdown(text: str, where: str) -> Article:
    """An article from the text of a Markdown file with front matter."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ArticleError(f"{where}: no front matter (the file must start with a --- line)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        raise ArticleError(f"{where}: front matter is not closed by a --- line")
    try:
        meta = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 2}" if mark is not None else ""
        raise ArticleError(f"{where}:{line} front matter is not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise ArticleError(f"{where}: front matter must be a mapping of keys (id, title, ...)")
    if "body" in meta:
        raise ArticleError(f"{where}: unknown front matter key 'body' (the body follows ---)")
    return make_article({**meta, "body": "".join(lines[end + 1 :])}, where, strict=True)


def _unique(articles: Iterable[tuple[Article, str]]) -> list[Article]:
    """The articles, refusing two with one id (naming both places)."""
    seen: dict[str, str] = {}
    out = []
    for article, where in articles:
        if article.id in seen:
            raise ArticleError(f"{where}: id {article.id!r} is also used by {seen[article.id]}")
        seen[article.id] = where
        out.append(article)
    return out


def markdown_files(path: Path) -> list[Path]:
    """The article files under a folder (recursively, README.md and hidden files aside)."""
    return sorted(
        p
        for p in path.rglob("*.md")
        if p.is_file() and p.name.lower() != "readme.md" and not p.name.startswith(".")
    )


SAMPLE_KB = "sample"  # `knowledge_dir: sample`: the shipped articles (about a fictional product)
SAMPLE_ARTICLES = Path(__file__).resolve().parent / "articles"


def articles_folder(configured: Path | None) -> Path | None:
    """Where a `knowledge_dir` setting points: the folder itself, the shipped sample articles
    only when asked for by name, and None (no articles) when unset: never the sample by
    default, or real customers would be answered about a fictional product."""
    if configured is None:
        return None
    return SAMPLE_ARTICLES if str(configured) == SAMPLE_KB else configured


def read_markdown_dir(path: Path) -> list[tuple[Article, Path]]:
    """Every article under a folder with the file it came from, in path order."""
    if not path.is_dir():
        raise ArticleError(f"{path}: not a folder")
    loaded = []
    for file in markdown_files(path):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ArticleError(f"{file}: cannot be read: {error}") from None
        loaded.append((parse_markdown(text, str(file)), file))
    _unique((article, str(file)) for article, file in loaded)
    return loaded


def load_markdown_dir(path: Path) -> list[Article]:
    """Every *.md article under a folder (recursively), in path order."""
    return [article for article, _ in read_markdown_dir(path)]


def load_jsonl(path: Path) -> list[Article]:
    """Articles from JSON Lines: {"id", "title", "body", "lang"} (other keys are ignored)."""
    loaded = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ArticleError(f"{where}: not valid JSON: {error}") from None
            if not isinstance(record, dict):
                raise ArticleError(f"{where}: each line must be a JSON object")
            loaded.append((make_article(record, where, strict=False), where))
    return _unique(loaded)


def load_csv(path: Path) -> list[Article]:
    """Articles from CSV with a header row: id,title,body,lang (tags comma-separated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "title", "body"} - set(reader.fieldnames or ())
        if missing:
            raise ArticleError(f"{path}: the header lacks column(s) {', '.join(sorted(missing))}")
        loaded = []
        for row in reader:
            where = f"{path}:{reader.line_num}"
            loaded.append((make_article(row, where, strict=False), where))
    return _unique(loaded)


def load_any(path: Path) -> list[Article]:
    """Articles from a folder of Markdown, a .jsonl file, a .csv file or one .md file."""
    if path.is_dir():
        return load_markdown_dir(path)
    if not path.is_file():
        raise ArticleError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return load_jsonl(path)
    if suffix == ".csv":
        return load_csv(path)
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(path.read_text(encoding="utf-8"), str(path))]
    raise ArticleError(f"{path}: unknown format (expected a folder, .md, .jsonl or .csv)")


def filename_for(article_id: str) -> str:
    """A safe, stable file name for an article id (distinct ids get distinct names)."""
    stem = _UNSAFE_FILENAME.sub("-", article_id).strip("-.")[:80]
    if stem != article_id:
        # The id had to be changed to be a file name: a hash keeps "a/b" and "a-b" apart.
        stem = f"{stem or 'article'}-{hashlib.sha1(article_id.encode()).hexdigest()[:8]}"
    return f"{stem}.md"


def to_markdown(article: Article) -> str:
    """The Markdown file text of an article (front matter, then the body)."""
    meta: dict[str, Any] = {"id": article.id, "title": article.title, "lang": article.lang}
    if article.tags:
        meta["tags"] = list(article.tags)
    if article.url:
        meta["url"] = article.url
    if article.examples:
        meta["examples"] = list(article.examples)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n{article.body.strip()}\n"


def write_markdown(article: Article, folder: Path) -> Path:
    """Write an article as Markdown into a folder (replacing its earlier file); the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename_for(article.id)
    temporary = path.with_name(f".{path.name}.tmp")
    # Write then rename, so the running bot's reload never sees half a file.
    temporary.write_text(to_markdown(article), encoding="utf-8")
    temporary.replace(path)
    return path
