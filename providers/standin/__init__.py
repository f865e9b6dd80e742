"""A stand-in of the bpg/proxmox Terraform provider, so real Terraform plans Phoenix offline.

Terraform runs it as `registry.terraform.io/bpg/proxmox` 0.111.1 from a filesystem mirror
(`install.py`); see README.md for what it emulates and what it does not.
"""
