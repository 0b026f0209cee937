"""Test support: the running bot harness and shared datasets."""
