"""Card top-up of any number or account, signed in or not: the pages and forms (views.py),
the payment's steps (service.py), the payment provider's interface and the demo acquirer
(acquiring.py), and `expire-payments` (commands.py)."""
from . import acquiring, commands, views


def init_app(app):
    acquiring.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.expire_payments_command)
