"""Demo and training copies: the data set and its loaders (loading.py; one module a
subject: cabinets.py, money.py, support.py, usage.py; constants in data.py), `demo-data`
(commands.py), and the SMS pages of demo mode (views.py). The loaders write through the
areas' models and services; no production module knows the demo."""
from . import commands, views


def init_app(app):
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.demo_data_command)
