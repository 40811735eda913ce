"""An alias: RoleBackend lives in accounts.backends.

A session names the backend that signed its person in, and Django honours only a path listed
in AUTHENTICATION_BACKENDS. Sessions made before the class moved name this path, so settings
keep listing it (and new sign-ins are stored under it too): nobody is signed out by the move.
"""

from accounts.backends import RoleBackend

__all__ = ["RoleBackend"]
