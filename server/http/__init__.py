"""The HTTP layer: controllers, authentication, guards and the one exception mapper."""
