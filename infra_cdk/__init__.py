"""The AWS CDK app of the speech platform: one complete environment per stage (dev, staging, prod, local)."""
