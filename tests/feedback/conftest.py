"""The admin tests' user fixtures, for the feedback tests that read figures off the admin pages."""

from tests.admin.conftest import _quick_password_hashes, make_user  # noqa: F401  (fixtures)
