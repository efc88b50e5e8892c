"""The resources of API v1, one router each; every operation names its scope."""
