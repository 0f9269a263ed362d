"""Route modules, one per area of the admin page."""
