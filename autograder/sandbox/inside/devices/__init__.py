"""The device modules of the GPU parity mode, each imported by the GPU
worker as a top-level module (the grader binds the file into its sandbox)."""
