"""Model families: each subpackage extends the trainer through its declared extension points."""
