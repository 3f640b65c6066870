"""Card top-up of any number or account, signed in or not: the pages and forms (views.py),
the payment's steps (service.py), the payment providers (acquiring.py: the demo acquirer
and LiqPay, whose protocol client is liqpay.py), autopay with a saved card (autopay.py,
cards.py, autopay_views.py), and `reconcile-payments`, `expire-payments` and `autopay`
(commands.py)."""
from . import acquiring, autopay_views, commands, views  # noqa: F401 (autopay_views: its pages join views.bp)


def init_app(app):
    acquiring.init_app(app)
    app.register_blueprint(views.bp)
    views.init_callback(app)
    for command in (commands.reconcile_payments_command, commands.expire_payments_command,
                    commands.autopay_command):
        app.cli.add_command(command)
