"""One module per `fitcat` sub-command, each with `add_parser(subparsers)` and `run(args) -> int`."""

COMMANDS = ["refresh", "demo", "serve",
            "show", "fit", "models", "devices", "doctor", "sql", "export", "estimate", "site"]
