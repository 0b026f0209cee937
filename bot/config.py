"""The `deskbot.yaml` configuration: every key optional, unknown keys rejected by name."""

import re
import reprlib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.names.refs import ChannelRef, UsergroupRef, UserRef

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Priority = Literal["urgent", "high", "normal", "low"]

_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Ten years: longer than any target, window or absence means a typo, and far below what
# timedelta (and a datetime plus it) can hold.
LONGEST_DURATION = timedelta(days=3650)
# Error messages show a value, never all of it: an alias bomb is small YAML but a huge repr.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_PROBLEMS_SHOWN = 20
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict = 2, 4, 4
_SHORT.maxstring = _SHORT.maxother = 60


class ConfigError(Exception):
    """The configuration file is missing, unreadable or has a wrong key or value."""


def parse_duration(value: object) -> timedelta:
    """Parse durations like `30m`, `4h`, `3d` or `1h30m` into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like 30m, 4h or 3d, got {shown(value)}")
    text = value.strip().lower()
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise ValueError(f"expected a duration like 30m, 4h or 3d, got {shown(value)}")
    if any(len(amount) > 12 for amount, _ in parts):
        raise ValueError(f"duration must be at most {LONGEST_DURATION.days}d, got {shown(value)}")
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in parts)
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {shown(value)}")
    if seconds > LONGEST_DURATION.total_seconds():
        raise ValueError(f"duration must be at most {LONGEST_DURATION.days}d, got {shown(value)}")
    return timedelta(seconds=seconds)


def shown(value: object) -> str:
    """A bounded repr of a value for an error message (at most about 120 characters)."""
    text = _SHORT.repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _parse_clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML reads 09:00 as sexagesimal 540
        return time(value // 60, value % 60)
    if isinstance(value, str) and re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    raise ValueError(f"expected a time of day like 09:00, got {shown(value)}")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(_parse_clock_time)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessHours(_Section):
    """The team's working calendar, used by policies with `business_hours: true`."""

    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: ClockTime = time(9, 0)
    end: ClockTime = time(17, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {shown(value)} (use an IANA name)") from exc
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> "BusinessHours":
        if self.start >= self.end:
            raise ValueError("start must be before end")
        if not self.days:
            raise ValueError("days must name at least one weekday")
        return self


class SlaPolicy(_Section):
    """Response and resolution targets for the tickets a policy matches."""

    name: str = Field(min_length=1, max_length=100)  # stored with each ticket and SLA clock
    channels: list[ChannelRef] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    first_response: Duration | None = None
    next_response: Duration | None = None
    resolution: Duration | None = None
    business_hours: bool = False


class Nudges(_Section):
    """When the SLA sweep nudges people: a warning before a breach, then an escalation ladder."""

    warn_at: float = Field(default=0.75, gt=0, lt=1)
    escalate_after: list[Duration] = Field(default_factory=list)


class DailyDigest(_Section):
    """The leads' daily digest: posted at `at` local time (business_hours.timezone)."""

    at: ClockTime | None = None  # unset: no daily digest


class Suggestions(_Section):
    """How many knowledge-base articles to suggest, and how good they must be."""

    max: int = Field(default=3, ge=0, le=10)
    # The estimated chance (%) that a suggestion is right (knowledge.calibration): at 50,
    # after learning, the public dev sets were answered 85-96% of the time, right 88-99%.
    min_score: float = Field(default=50.0, ge=0, le=100)


class Costs(_Section):
    """What support costs, for cost-per-ticket KPIs."""

    monthly_spend: float = Field(default=0.0, ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)


class Intake(_Section):
    """How new tickets are acknowledged, and how a burst of messages becomes one ticket."""

    reaction: str | None = Field(default="ticket", pattern=r"^[a-z0-9_+\-']+$")
    # Top-level messages of one person in one channel this close together are one
    # conversation (one ticket); null turns grouping off.
    group_window: Duration | None = timedelta(minutes=2)


class Csat(_Section):
    """Satisfaction surveys asked when an agent resolves a ticket."""

    enabled: bool = True
    sample_rate: float = Field(default=1.0, ge=0, le=1)


class Retention(_Section):
    """How long typed text is kept; a job redacts older text (counts and times stay)."""

    message_text: Duration | None = None  # unset: text is kept


RoutingMode = Literal["none", "round_robin", "least_loaded"]


class RoutingChannel(_Section):
    """Routing overrides for one support channel (unset keys inherit from `routing`)."""

    mode: RoutingMode | None = None
    agents: list[UserRef] | None = None
    claim_timeout: Duration | None = None


def _routing_shorthand(value: object) -> object:
    """`routing: round_robin` is short for `routing: {mode: round_robin}`."""
    return {"mode": value} if isinstance(value, str) else value


class Routing(_Section):
    """Auto-assignment of new tickets among available agents, and claim timeouts."""

    mode: RoutingMode = "none"
    agents: list[UserRef] = Field(default_factory=list)  # empty: every agent
    claim_timeout: Duration | None = None  # business time with no agent reply
    channels: dict[ChannelRef, RoutingChannel] = Field(default_factory=dict)

    def mode_for(self, channel_id: str) -> str:
        """The auto-assignment mode of a channel."""
        override = self.channels.get(channel_id)
        return (override.mode if override and override.mode else None) or self.mode

    def pool_for(self, channel_id: str) -> list[str]:
        """The agents named for a channel (empty: every agent)."""
        override = self.channels.get(channel_id)
        if override is not None and override.agents is not None:
            return list(override.agents)
        return list(self.agents)

    def claim_timeout_for(self, channel_id: str) -> timedelta | None:
        """How long a claim may go without an agent reply in a channel."""
        override = self.channels.get(channel_id)
        if override is not None and override.claim_timeout is not None:
            return override.claim_timeout
        return self.claim_timeout

    @property
    def routes_anything(self) -> bool:
        """Whether any channel auto-assigns."""
        return self.mode != "none" or any(
            c.mode not in (None, "none") for c in self.channels.values()
        )


class DeskConfig(_Section):
    """Everything `deskbot.yaml` may say; the defaults make an empty file valid."""

    support_channels: list[ChannelRef] = Field(default_factory=list)
    triage_channel: ChannelRef | None = None
    leads_channel: ChannelRef | None = None
    agents: list[UserRef] = Field(default_factory=list)
    agents_usergroup: UsergroupRef | None = None
    leads: list[UserRef] = Field(default_factory=list)
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    sla_policies: list[SlaPolicy] = Field(default_factory=list)
    sla_sweep_seconds: int = Field(default=60, ge=5, le=3600)
    nudges: Nudges = Field(default_factory=Nudges)
    daily_digest: DailyDigest = Field(default_factory=DailyDigest)
    suggestions: Suggestions = Field(default_factory=Suggestions)
    knowledge_dir: Path | None = None
    costs: Costs = Field(default_factory=Costs)
    intake: Intake = Field(default_factory=Intake)
    csat: Csat = Field(default_factory=Csat)
    retention: Retention = Field(default_factory=Retention)
    routing: Annotated[Routing, BeforeValidator(_routing_shorthand)] = Field(
        default_factory=Routing
    )

    @field_validator("sla_policies")
    @classmethod
    def _unique_policy_names(cls, policies: list[SlaPolicy]) -> list[SlaPolicy]:
        names = [policy.name for policy in policies]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"policy names must be unique, repeated: {', '.join(duplicates)}")
        return policies

    def is_support_channel(self, channel_id: str) -> bool:
        """Whether customer messages in this channel open tickets."""
        if channel_id in (self.triage_channel, self.leads_channel):
            return False
        return not self.support_channels or channel_id in self.support_channels


def describe_validation_error(
    error: ValidationError, *, source: str, headline: str = "invalid configuration"
) -> str:
    """Render pydantic errors as one line per problem, each naming the key."""
    lines = [f"{source}: {headline}"]
    problems = error.errors()
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"  unknown key '{key}'")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if problem["type"] != "value_error":
                message = f"{message} (got {shown(problem.get('input'))})"
            lines.append(f"  {key[:120]}: {message[:300]}")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"  ...and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
    return "\n".join(lines)


def parse_config(data: object, *, source: str = "deskbot.yaml") -> DeskConfig:
    """Validate already-parsed YAML data into a `DeskConfig`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level")
    try:
        return DeskConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source=source)) from None


def load_config(path: Path, *, required: bool = False) -> DeskConfig:
    """Read and validate the YAML config; a missing optional file means all defaults."""
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: config file not found")
        return DeskConfig()
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: config file over {MAX_CONFIG_BYTES} bytes")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config: {str(exc)[:300]}") from None
    except RecursionError:
        raise ConfigError(f"{path}: cannot read config: nested too deeply") from None
    try:
        return parse_config(data, source=str(path))
    except RecursionError:
        raise ConfigError(f"{path}: invalid configuration: nested too deeply") from None
