"""The CLI subcommands, one module each (``<name>_cmd``), imported by :mod:`accelsim.cli`.

Each module declares ``HELP``, ``DESCRIPTION``, ``add_arguments(parser)`` and
``run_<name>(args)``; the run functions parse nothing and call the public API.
"""
