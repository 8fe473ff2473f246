"""Jobs: the live ones, by key, by element instance and by type."""

from datetime import datetime

from engine.state.values import Job, JobState


class Jobs:
    __slots__ = ("by_element", "by_type", "jobs")

    def __init__(self) -> None:
        self.jobs: dict[int, Job] = {}
        self.by_element: dict[int, int] = {}  # element instance → its job
        self.by_type: dict[str, dict[int, Job]] = {}  # type → its jobs, oldest first

    def activatable(self, job_type: str, now: datetime) -> list[Job]:
        """The jobs of a type a worker may take now, oldest first."""
        return [
            j
            for j in (self.by_type.get(job_type) or {}).values()
            if j.state is JobState.ACTIVATABLE and (j.backoff_until is None or j.backoff_until <= now)
        ]
