"""Time and place as modalities (issue 13, family 7)."""
