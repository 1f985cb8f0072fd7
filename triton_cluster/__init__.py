"""Model repository, registry data, local launcher and ECS image definition for the Triton cluster."""
