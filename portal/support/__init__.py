"""Online help for subscribers: the chat with an agent and its rating, Home Internet fault
reports and the technician visits offered for them (views.py, forms.py), and the words and
labels the staff console and the request archive share (service.py). The staff's side is
portal/staff/."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
