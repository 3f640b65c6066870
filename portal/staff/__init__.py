"""The staff console: its own sign-in (access), the queue with chats and requests
(console), Home Internet faults and visits (faults), look-ups and the audit log (lookup),
restoring access by the secret question (recovery), and its commands (commands). One blueprint, `staff`, defined in access; the other modules
add their pages to it."""
from . import access, commands, console, faults, lookup, recovery  # noqa: F401 (their pages)


def init_app(app):
    app.register_blueprint(access.bp)
    commands.init_app(app)
