"""Pull request review: a fleet change summarised from Terraform's own plan (`make review`)."""
