"""Admin-site forms (Flask-WTF: every form carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")]
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (rotate a link, sign out): only the CSRF token."""
