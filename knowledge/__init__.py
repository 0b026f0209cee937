"""The knowledge base: Markdown articles with front matter, and the matcher that suggests them.

`knowledge.articles` loads and writes articles, `knowledge.matcher` ranks them for a
question (`suggest` is the code path the bot uses), `knowledge.library` holds the live KB
and reloads it when its files change, `bot.cli.kb` is `deskbot kb`. Nothing here
imports Slack, the database or the bot; nothing runs at import time.
"""
