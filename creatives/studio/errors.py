from prosocial.errors import JobError


class GenerationError(JobError):
    """A generation that can't start or couldn't finish; ``retryable`` says if trying again helps."""
