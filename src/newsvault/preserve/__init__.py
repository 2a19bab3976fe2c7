"""Preservation: every version, deletion watch, integrity checks."""
