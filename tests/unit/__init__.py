"""Unit tests: pure logic and listeners called directly with stubs; no server, no fake Slack."""
