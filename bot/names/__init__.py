"""Configure by name: `#channel`, `@person` and `@group` in deskbot.yaml, resolved to IDs.

`refs` holds the config's field types (an ID or a name; names are turned into IDs only
while a resolver is in the validation context); `resolve` asks Slack's directory
(conversations.list, users.list, usergroups.list) once at start.
"""
