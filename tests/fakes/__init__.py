"""Stand-ins for external services (Portainer server, Portainer agent) on 127.0.0.1."""
