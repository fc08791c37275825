"""The engine's closed sets of words: run and step statuses, queue item kinds, opcodes."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A run's status, spelled as Inngest's REST API spells it."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_RUN_STATUSES


FINAL_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
ACTIVE_RUN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class StepStatus(StrEnum):
    """A step's place in a run's timeline."""

    PLANNED = "planned"
    SLEEPING = "sleeping"
    WAITING = "waiting"
    INVOKING = "invoking"
    ERRORED = "errored"
    COMPLETED = "completed"
    FAILED = "failed"


# A step in one of these has been scheduled and must not be scheduled twice.
PENDING_STEP_STATUSES = frozenset(
    {StepStatus.PLANNED, StepStatus.SLEEPING, StepStatus.WAITING, StepStatus.INVOKING}
)


class QueueKind(StrEnum):
    """What a queue item does when it comes due."""

    CALL = "call"
    SLEEP = "sleep"
    WAIT_TIMEOUT = "wait_timeout"
    INVOKE_TIMEOUT = "invoke_timeout"
    FINISH_TIMEOUT = "finish_timeout"


class Opcode(StrEnum):
    """The step opcodes an SDK answers with (SDK spec, section 5)."""

    STEP_RUN = "StepRun"
    STEP = "Step"  # the older name of StepRun, still accepted by Inngest
    NONE = "None"  # ends one parallel path; nothing to do
    STEP_ERROR = "StepError"
    STEP_FAILED = "StepFailed"
    STEP_PLANNED = "StepPlanned"
    SLEEP = "Sleep"
    WAIT_FOR_EVENT = "WaitForEvent"
    INVOKE_FUNCTION = "InvokeFunction"
    AI_GATEWAY = "AIGateway"


# Every opcode name Inngest's executor reads (Go ``enums.Opcode``), including those the
# embedded engine does not implement: an answer with any other name is unreadable.
INNGEST_OPCODE_NAMES = frozenset(
    {
        *(opcode.value for opcode in Opcode),
        "Gateway",
        "WaitForSignal",
        "RunComplete",
        "SyncRunComplete",
        "DiscoveryRequest",
        "DeferAdd",
        "DeferAbort",
    }
)

# Opcodes that schedule something: a repeat of one for a pending step is ignored.
SCHEDULING_OPCODES = frozenset(
    {Opcode.STEP_PLANNED, Opcode.SLEEP, Opcode.WAIT_FOR_EVENT, Opcode.INVOKE_FUNCTION}
)
EXECUTED_OPCODES = frozenset({Opcode.STEP_RUN, Opcode.STEP, Opcode.STEP_ERROR, Opcode.STEP_FAILED})


class MarkKind(StrEnum):
    """Flow-control marks kept per function and key."""

    RATE = "rate"
    IDEMPOTENCY = "idempotency"


class InternalEvent(StrEnum):
    """Events the engine itself sends, named as Inngest names them."""

    INVOKED = "inngest/function.invoked"
    FINISHED = "inngest/function.finished"
    FAILED = "inngest/function.failed"
    CANCELLED = "inngest/function.cancelled"
    CRON = "inngest/scheduled.timer"
