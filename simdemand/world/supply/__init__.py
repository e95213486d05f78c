"""Supply inside the world: the fleet (installed base, reservations) and its hourly allocation."""
