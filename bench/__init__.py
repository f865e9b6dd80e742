"""Phoenix benchmarks: synth, reconcile and post-apply handoff cost as the fleet grows
(`make bench`).

Run `python -m bench --help`. The results land in `bench/RESULTS.md`. Nothing here is part of
the app: it only drives `main.py`, the `portainer` client, Terraform and the test fakes from
outside.
"""
