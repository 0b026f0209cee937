"""Cheap language detection and small-talk recognition for customer messages.

Detection looks at the script first (kana means Japanese, Cyrillic Russian or Ukrainian,
...) and, for Latin script, counts very common words and letters typical of a language.
It is a heuristic for ordering suggestions, not a classifier: `guess_language` says when
it had no evidence, and the matcher then lets the knowledge base decide.
"""

import re
import unicodedata

from knowledge.text import normalize, raw_words

DEFAULT_LANGUAGE = "en"

# The most frequent short words of each language, as people type questions. A word in
# two lists counts for both; only the difference between languages decides.
_COMMON_WORDS = {
    "en": "the a an and or is are was be been do does did i my me you your we our it this that "
    "to of in on at for with from how what when where why who which can could would should "
    "will not no yes please help have has get got there they them he she his her if but just "
    "all any some after before into out up about so than then too very much many more",
    "de": "der die das den dem des ein eine einen einem einer und oder ist sind war wird werden "
    "ich mein meine meinen meinem mich mir du dein sie ihr ihre wir unser es wie was wann wo "
    "warum wer welche welcher kann können könnte kannst muss soll sollte nicht kein keine ja "
    "nein bitte hilfe habe hat haben gibt mit von zu zum zur für auf aus bei nach über unter "
    "vor in im ins an am um bis ohne durch so auch noch schon nur aber wenn dass sich doch mal "
    "jetzt heute morgen gestern "
    "alle alles diese dieser dieses neue neuen zeige finde spiele",
    "fr": "le la les un une des et ou est sont je mon ma mes moi vous votre nous il elle on ce "
    "cette que qui quoi comment quand où pourquoi pour avec dans sur par pas ne plus peut "
    "puis pouvez bonjour merci aide mot passe compte",
    "es": "el la los las un una unos y o es son yo mi mis me tú usted su nosotros que qué cómo "
    "cuándo dónde por para con en no sí puedo puede ayuda hola gracias cuenta contraseña",
    "it": "il lo la gli le un una e o è sono io mio mia mi tu lei noi che come quando dove perché "
    "per con non può posso aiuto ciao grazie account",
    "nl": "de het een en of is zijn ik mijn mij je jij uw wij we hoe wat wanneer waar waarom "
    "kan kunnen niet geen ja nee alsjeblieft help met van voor op bij naar",
    "pt": "o a os as um uma e ou é são eu meu minha me você seu nós que como quando onde por "
    "para com em não sim posso pode ajuda olá obrigado obrigada conta senha",
}
_WORD_LANGS: dict[str, set[str]] = {}
for _lang, _words in _COMMON_WORDS.items():
    for _word in _words.split():
        _WORD_LANGS.setdefault(_word, set()).add(_lang)

# Letters that (among the Latin-script languages above) point to one language.
_LETTER_HINTS = {"ä": "de", "ö": "de", "ü": "de", "ß": "de", "ñ": "es", "¿": "es", "¡": "es",
                 "ã": "pt", "õ": "pt", "ç": "fr", "œ": "fr", "ê": "fr", "è": "fr"}  # fmt: skip
_UKRAINIAN = re.compile("[іїєґ]")

# Unicode script of a character, by the first word of its Unicode name.
_SCRIPTS = {"HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh", "HANGUL": "ko", "CYRILLIC": "ru",
            "ARABIC": "ar", "HEBREW": "he", "GREEK": "el", "THAI": "th", "DEVANAGARI": "hi",
            "LATIN": "latin"}  # fmt: skip


def _script_counts(text: str) -> dict[str, int]:
    """How many letters of each script the text has (only the first 400 letters matter)."""
    counts: dict[str, int] = {}
    seen = 0
    for char in text:
        if not char.isalpha():
            continue
        seen += 1
        if seen > 400:
            break
        script = _SCRIPTS.get(unicodedata.name(char, "?").split(" ", 1)[0])
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return counts


def guess_language(text: str) -> tuple[str, bool]:
    """The likely language of a text and whether there was evidence for it."""
    normalized = normalize(text)
    counts = _script_counts(normalized)
    if not counts:
        return DEFAULT_LANGUAGE, False
    if counts.get("ja"):
        return "ja", True  # kana appear in practically every Japanese sentence
    script = max(counts, key=lambda name: counts[name])
    if script == "ru" and _UKRAINIAN.search(normalized):
        return "uk", True
    if script != "latin":
        return script, True
    votes: dict[str, float] = {}
    for word in raw_words(normalized)[:200]:
        for lang in _WORD_LANGS.get(word, ()):
            votes[lang] = votes.get(lang, 0.0) + 1.0
    for char, lang in _LETTER_HINTS.items():
        if char in normalized:
            votes[lang] = votes.get(lang, 0.0) + 3.0
    if not votes:
        return DEFAULT_LANGUAGE, False
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0] != DEFAULT_LANGUAGE))
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return ranked[0][0], False  # a tie ("in", "so"): no real evidence
    return ranked[0][0], True


def detect_language(text: str) -> str:
    """A cheap guess of the text's language as an ISO 639-1 code ("en" when unsure)."""
    return guess_language(text)[0]


# Whole messages that are only a greeting, thanks or acknowledgement, as phrases. The
# filler words may surround them ("thanks a lot", "vielen Dank für die Hilfe").
_SMALL_TALK = """
hi hello hey hiya yo howdy morning evening afternoon good greetings cheers thanks thank thx ty
tnx thanx appreciated appreciate ok okay k kk fine great cool nice perfect awesome excellent
sure yes yep yeah yup no nope bye goodbye cu cya later welcome np got understood noted lol
ta
hallo moin servus grüß gott tag guten abend morgen danke dankeschön merci tschüss tschüs ciao
dank ade alles klar super prima toll gut passt jawohl ja nein gerne bitte verstanden
dankeschön schön schoen grüss grüezi gott hallöchen tach
привет здравствуйте добрый день утро вечер спасибо благодарю пасиб спс ок окей хорошо ладно
понятно отлично супер да нет пока до свидания ясно понял поняла принято
спасибочки благодарим здрасте приветствую доброе ага угу
bonjour salut merci hola gracias buenos buenas dias días tardes noches vale
"""
_FILLER = """
a lot so much very you u all again guys team everyone folks there for the help your quick
reply response that's it is was thats i me we see it's all much appreciated have nice day
worries problem sounds works bunch
de mal vielen vielmals nochmal euch dir ihnen für die hilfe schnelle antwort sehr das
war es ist einen schönen noch und auch zusammen herzlichen herzliche besten tausend liebe
lieben
большое вам тебе за помощь очень всем ответ огромное и все всё
beaucoup muchas
ね よ ね〜 ー です ました ます 今回 いつも
"""
_SMALL_TALK_WORDS = frozenset(_SMALL_TALK.split())
_FILLER_WORDS = frozenset(_FILLER.split())
_JAPANESE_SMALL_TALK = sorted(
    [
        "ありがとうございました",
        "ありがとうございます",
        "ありがとう",
        "どうもありがとう",
        "どうも",
        "すみません",
        "こんにちは",
        "こんばんは",
        "おはようございます",
        "おはよう",
        "よろしくお願いします",
        "よろしくおねがいします",
        "よろしく",
        "お疲れ様です",
        "お疲れさまです",
        "おつかれさまです",
        "了解しました",
        "了解いたしました",
        "承知いたしました",
        "かしこまりました",
        "お世話になっております",
        "お世話になります",
        "ありがと",
        "オッケー",
        "了解です",
        "了解",
        "承知しました",
        "わかりました",
        "分かりました",
        "はい",
        "いいえ",
        "大丈夫です",
        "助かりました",
        "助かります",
        "感謝します",
        "さようなら",
        "またね",
        "失礼します",
        "本当に",
        "ほんとうに",
        "皆さん",
        "みなさん",
        "早速",
        "ご対応",
        "対応",
        "丁寧な",
        "謝谢",
        "谢谢",
        "你好",
        "好的",
    ],
    key=len,
    reverse=True,
)
_SLACK_MARKUP = re.compile(r"<[@#!][^>]*>|:[a-z0-9_+\-']+:")
_EMOTICON = re.compile(r"(?<!\w)[:;=8][-']?[()dp3/\\|*]+(?!\w)|\^\^|\^_\^|<3")


def is_small_talk(text: str) -> bool:
    """Whether a message is only a greeting, thanks, acknowledgement or emoji."""
    stripped = _EMOTICON.sub(" ", _SLACK_MARKUP.sub(" ", normalize(text)))
    words = raw_words(stripped)
    if not words:
        return True  # emoji, punctuation or mentions only: nothing to answer
    if len(words) > 8:
        return False
    core = False
    for word in words:
        rest = word
        for phrase in _JAPANESE_SMALL_TALK:
            if phrase in rest:
                rest = rest.replace(phrase, "")
                core = True
        if not rest:
            continue
        if rest in _SMALL_TALK_WORDS:
            core = True
        elif rest not in _FILLER_WORDS:
            return False
    return core
