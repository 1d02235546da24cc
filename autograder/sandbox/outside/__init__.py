"""The grader's side of the sandbox: starting workers and calling into them."""
