"""Repositories: typed access to one aggregate each, encrypting on the way in and out."""
