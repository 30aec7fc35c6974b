"""Command-line interface: ``semcom <command>``; one module per subcommand."""
