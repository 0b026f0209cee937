"""Text normalization and the two kinds of terms the matcher indexes.

Words: NFKC + casefold, split on non-word characters, stemmed per language with the
Snowball stemmers (PyStemmer). Runs of Chinese/Japanese characters, written without
spaces, are cut into overlapping character trigrams instead (no tokenizer needed; pieces
repeat across texts where whole runs do not, which keeps the vocabulary small). Stopwords
are kept on purpose: in short questions "how", "when", "wie" carry the intent, and IDF
already discounts them.

Character n-grams (trigrams of each space-padded word) match inflected forms
("пароль"/"пароля") and parts of German compounds ("Passwortänderung"/"Passwort"); of a
CJK trigram piece they are the piece and its first and last bigram.
"""

import re
import threading
import unicodedata
from typing import Any

# Trigrams only: on the labelled questions 3-4- and 3-5-grams ranked no better (within
# a point) and cost 2x the index size and build time (bench/kb_quality.py, kb_speed.py).
CHAR_NGRAM_SIZES = (3,)
CJK_PIECE = 3  # index_words' zip() below is written for 3

# Han, Hiragana, Katakana (incl. the prolonged sound mark and half-width forms): scripts
# written without spaces between words.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(rf"[{_CJK}]+|[^\W_]+")
# Every ASCII character that is not a letter or digit, as a space: split() then gives
# exactly what _WORD would find in ASCII text.
_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum()}

# ISO 639-1 code -> Snowball algorithm name.
_STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "id": "indonesian", "it": "italian", "nl": "dutch", "no": "norwegian",
    "nb": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sv": "swedish", "tr": "turkish",
}  # fmt: skip


def normalize(text: str) -> str:
    """Unicode-normalize and casefold text so that equal words compare equal."""
    # NFKC folds full-width Latin and half-width kana; casefold maps ß to ss; ё is
    # written as е in most Russian text.
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def raw_words(normalized: str) -> list[str]:
    """Word-like runs of a normalized text: letters/digits, or a run of CJK characters."""
    return _WORD.findall(normalized)


def index_words(normalized: str) -> list[str]:
    """The words the matcher indexes: raw words, with every CJK run longer than three
    characters cut into its overlapping character trigrams."""
    if normalized.isascii():
        # The common case, about twice as fast as the regular expression.
        return normalized.translate(_ASCII_SEPARATORS).split()
    if _CJK_RUN.search(normalized) is None:
        return _WORD.findall(normalized)
    out: list[str] = []
    for word in _WORD.findall(normalized):
        if len(word) > CJK_PIECE and _CJK_RUN.fullmatch(word):
            # (map/zip: C loops, this runs once per character of CJK text)
            out.extend(map("".join, zip(word, word[1:], word[2:], strict=False)))
        else:
            out.append(word)
    return out


_local = threading.local()


def _stemmer(lang: str) -> Any:
    """The Snowball stemmer for a language, or None; one per thread, since PyStemmer's
    stemmers are not thread-safe (created lazily, so importing this module stays cheap)."""
    algorithm = _STEMMERS.get(lang)
    if algorithm is None:
        return None
    stemmers = _local.__dict__.setdefault("stemmers", {})
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        import Stemmer  # PyStemmer

        stemmer = stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmer


def stems_per_word(words: list[str], lang: str) -> list[str]:
    """The stem of each word (CJK pieces and words of unknown languages as they are)."""
    stemmer = _stemmer(lang)
    if stemmer is None:
        return words
    stems = stemmer.stemWords(words)
    return [
        word if _CJK_RUN.fullmatch(word) else stem for word, stem in zip(words, stems, strict=True)
    ]


def char_ngrams(word: str) -> list[str]:
    """The character n-grams of a space-padded word (the padded word if shorter)."""
    padded = f" {word} "
    if len(padded) <= CHAR_NGRAM_SIZES[0]:
        return [padded]
    return [padded[i : i + n] for n in CHAR_NGRAM_SIZES for i in range(len(padded) - n + 1)]
