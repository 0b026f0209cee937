"""deskbot: a self-hosted, Slack-native support desk."""
