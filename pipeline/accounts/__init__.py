"""Who is registered and how they are reached: users.yaml, the token vault, the credentials it holds."""
