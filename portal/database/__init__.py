"""The operators' database commands (commands.py): creating and migrating the schema, and
copying the database into another (service.py), the restore drill (drill.py)."""
from . import commands


def init_app(app):
    app.cli.add_command(commands.init_db_command)
    app.cli.add_command(commands.copy_db_command)
    app.cli.add_command(commands.restore_drill_command)
    app.cli.add_command(commands.usage_partitions_command)
