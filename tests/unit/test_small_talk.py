"""Pleasantries in each language the product speaks are small talk; short questions are not.

Small talk never opens a ticket (bot/intake), so a miss here is a ticket for "Danke schön!"
and a false hit is a customer's question dropped: the table checks both directions.
"""

import pytest

from knowledge.language import is_small_talk

SMALL_TALK = {
    "en": [
        "thanks!", "Thank you so much", "thank u", "ty!", "ok thx", "great, thanks!",
        "thanks a bunch", "much appreciated", "hi there", "Hello team", "Good morning",
        "hey guys", "ok, got it", "sounds good", "all good", "no worries", "no problem",
        "Cheers", "okay", "👍", ":+1:",
    ],
    "de": [
        "Danke schön!", "Dankeschön", "danke schoen", "Danke sehr", "Vielen Dank!",
        "Herzlichen Dank", "Besten Dank", "Tausend Dank", "ok danke", "Alles klar",
        "Okay, verstanden", "Guten Morgen", "Hallo zusammen", "Grüß Gott", "Servus",
        "Moin moin", "Alles gut, danke", "Passt, danke dir",
    ],
    "ja": [
        "ありがとうございます！", "どうもありがとうございます", "ありがとう", "了解です",
        "承知しました", "承知いたしました", "かしこまりました", "おはようございます",
        "よろしくお願いします", "お世話になっております", "わかりました", "はい",
    ],
    "ru": [
        "Спасибо большое!", "спасибо", "Спс", "Ок, спасибо", "Хорошо, понятно", "Всё понятно",
        "Привет всем", "Здравствуйте!", "Добрый день", "Доброе утро", "Понял, спасибо",
        "ага", "Ясно",
    ],
}  # fmt: skip

QUESTIONS = {
    "en": ["quick question", "export fails", "can't log in", "Thanks, but it still fails",
           "ok but where is the invoice?", "Good morning, the API returns 500"],
    "de": ["Export geht nicht", "Danke, aber der Export schlägt immer noch fehl",
           "Hallo, wo finde ich die Rechnung?", "Passwort vergessen"],
    "ja": ["ログインできません", "ありがとうございます。でもエクスポートが失敗します",
           "請求書はどこですか"],
    "ru": ["Не могу войти", "Спасибо, но экспорт всё ещё падает", "Где счёт?"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in SMALL_TALK.items() for text in texts]
)
def test_pleasantries_are_small_talk(lang, text):
    assert is_small_talk(text), f"{lang}: {text!r} should be small talk"


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in QUESTIONS.items() for text in texts]
)
def test_short_questions_are_not_small_talk(lang, text):
    assert not is_small_talk(text), f"{lang}: {text!r} is a question"
