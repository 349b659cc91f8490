"""Authentication: password hashing, tokens, and the login/refresh/logout use cases."""
