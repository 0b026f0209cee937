"""What `create_app` asks Slack before it serves: who the bot is, and what the names
written in deskbot.yaml (`#channel`, `@person`, `@group`) stand for."""

API_METHODS = ("auth.test", "conversations.list", "users.list", "usergroups.list")
