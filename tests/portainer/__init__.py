"""Tests of the portainer package against the fake Portainer."""
