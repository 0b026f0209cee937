"""The leads' web dashboard: Sign in with Slack, the desk at a glance, from a chart to the
ticket. A Flask app (`app.create_dashboard`) that `bot/web.py` serves beside /slack/events;
its numbers are the KPI service's (bot/kpi/service.py), its ticket rows store/dashboard.py's.
"""
