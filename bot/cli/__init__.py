"""The `deskbot` command line: one module per subcommand group; heavy libraries load in the
command that uses them.
"""
