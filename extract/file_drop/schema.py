"""The canonical file-drop format: one entity per folder, its columns, types, keys and rules.

This module is the single source of truth: the validator checks files against it, the dlt source
types the loaded tables from it, and docs/file-drop.md shows its tables (a test keeps the two in
step; `python -m extract.file_drop.doc_tables` prints them).

Every entity carries `source_system`, the snake_case name of the tool the rows come from; ids are
only unique within one tool, so every key starts with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "integer", "decimal", "boolean", "date", "timestamp", "currency"]

# How each type is written in a file; reasons and the docs quote these.
TYPE_FORMATS: dict[str, str] = {
    "text": "any UTF-8 text; surrounding spaces are trimmed, except on columns loaded as typed (emails)",
    "integer": "whole number (digits, optional sign), e.g. 250",
    "decimal": "decimal number with a '.' and no thousands separator or currency sign, e.g. 1250.50; "
               "more than 4 decimals are rounded to 4",
    "boolean": "true or false (any case)",
    "date": "ISO 8601 date YYYY-MM-DD, e.g. 2025-03-04",
    "timestamp": "ISO 8601 timestamp with a UTC offset or Z, e.g. 2025-03-04T09:30:00Z or "
                 "2025-03-04T10:30:00+01:00; loaded in UTC",
    "currency": "ISO 4217 code in upper case, e.g. USD, EUR, JPY",
}

# Marketing channels, shared by touches, campaigns, leads and ad spend.
CHANNELS = ("paid_search", "paid_social", "retargeting", "display", "organic_search", "organic_social",
            "referral", "direct", "content", "webinar", "events", "email", "sponsorship", "partner", "other")
FUNNEL_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "churned")

# Quarantine rules: the code a quarantined row carries, and what it means.
RULES: dict[str, str] = {
    "missing_required_column": "the file lacks a required column: the whole file is rejected and every row "
                               "is quarantined under this rule",
    "missing_required_value": "a required column is empty on this row",
    "missing_identifier": "none of the columns that identify the record (e.g. person_id, anonymous_id, email "
                          "on a touch) has a value",
    "invalid_number": "an integer or decimal column holds something else (text, thousands separators, a "
                      "currency sign)",
    "invalid_boolean": "a boolean column holds something other than true or false",
    "invalid_date": "a date column is not a real date written YYYY-MM-DD",
    "invalid_timestamp": "a timestamp column is not a real ISO 8601 timestamp with a UTC offset or Z",
    "negative_value": "an amount or count that must be 0 or more is negative",
    "unknown_currency": "a currency column holds something that is not an ISO 4217 code (e.g. US$, usd, EURO)",
    "not_allowed_value": "a column with a fixed list of values holds another value",
    "invalid_format": "a value does not have the column's format (an email address, a domain, a country code, "
                      "a snake_case source_system)",
    "duplicate_key": "the row's key appears on more than one row of the same file: every such row is "
                     "quarantined, since the file does not say which one is right",
    "inconsistent_values": "values that contradict each other (e.g. closed_at before created_at)",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    meaning: str
    example: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: int | None = None  # 0 for money and counts
    pattern: str | None = None  # RE2 pattern the trimmed value must match in full
    pattern_hint: str = ""  # what the pattern means, in words
    as_typed: bool = False  # load the value exactly as written (emails); others are trimmed


@dataclass(frozen=True)
class RowRule:
    """A rule across columns. `violated_when` is SQL over the typed column values, true on a breaking row."""

    rule: str
    columns: tuple[str, ...]
    violated_when: str
    reason: str


@dataclass(frozen=True)
class Entity:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of columns of which at least one must have a value
    row_rules: tuple[RowRule, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _text(name: str, meaning: str, example: str, required: bool = False, **kw) -> Column:
    return Column(name, "text", meaning, example, required, **kw)


def _id(name: str, meaning: str, example: str, required: bool = True) -> Column:
    return Column(name, "text", meaning, example, required)


def _ts(name: str, meaning: str, example: str, required: bool = False) -> Column:
    return Column(name, "timestamp", meaning, example, required)


def _enum(name: str, values: tuple[str, ...], meaning: str, example: str, required: bool = False) -> Column:
    return Column(name, "text", meaning, example, required, allowed=values)


def _count(name: str, meaning: str, example: str) -> Column:
    return Column(name, "integer", meaning, example, minimum=0)


EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
SOURCE_SYSTEM = Column(
    "source_system", "text", "the tool the row comes from, in snake_case; the same on every row a tool sends",
    "partner_portal", required=True, pattern=r"[a-z][a-z0-9_]{0,62}",
    pattern_hint="snake_case: lower-case letters, digits and _, starting with a letter")
CURRENCY_NEEDS_AMOUNT = "amount IS NOT NULL AND currency IS NULL"

ENTITIES: dict[str, Entity] = {e.name: e for e in [
    Entity(
        "accounts", "companies the team works with (one row per company record in its tool)",
        columns=(
            _id("account_id", "the company's id in the tool", "ACC-1042"),
            _text("name", "company name", "Acme Analytics GmbH", required=True),
            _text("domain", "web domain, without scheme or path", "acme-analytics.de",
                  pattern=r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", pattern_hint="a domain such as acme.com"),
            _text("industry", "industry as the tool names it", "Software"),
            _count("employees", "number of employees", "250"),
            _text("country", "ISO 3166-1 alpha-2 country code", "DE", pattern=r"[A-Z]{2}",
                  pattern_hint="two upper-case letters (ISO 3166-1 alpha-2)"),
            _ts("created_at", "when the record was created", "2025-01-15T08:00:00Z"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "account_id"),
    ),
    Entity(
        "persons", "people (contacts, registrants, subscribers): one row per person record in the tool",
        columns=(
            _id("person_id", "the person's id in the tool", "P-88120"),
            _text("email", "email address as typed (not normalized: the warehouse resolves identities)",
                  "jane.doe@acme-analytics.de", pattern=EMAIL, pattern_hint="an email address", as_typed=True),
            _text("first_name", "first name", "Jane"),
            _text("last_name", "last name", "Doe"),
            _text("job_title", "job title", "Head of RevOps"),
            _text("account_id", "the person's company: an account_id of the same source_system", "ACC-1042"),
            _ts("created_at", "when the record was created", "2025-02-03T14:20:00+01:00"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "person_id"),
    ),
    Entity(
        "leads", "a person handed over as a lead, with sales' verdict on it",
        columns=(
            _id("lead_id", "the lead's id in the tool", "L-5531"),
            _id("person_id", "the person: a person_id of the same source_system", "P-88120"),
            _ts("created_at", "when the lead was created", "2025-02-03T14:25:00Z", required=True),
            _enum("status", ("open", "working", "nurturing", "qualified", "disqualified", "converted"),
                  "where the lead stands", "working"),
            _enum("source_channel", CHANNELS, "the marketing channel that produced the lead", "events"),
            _enum("disposition", ("accepted", "rejected"), "sales' verdict; empty while undecided", "rejected"),
            _text("rejection_reason", "why sales rejected the lead", "no_budget"),
            _ts("disposition_at", "when sales gave its verdict", "2025-02-05T10:00:00Z"),
            _ts("first_touch_at", "sales' first call or email to the lead (speed to lead)", "2025-02-03T16:02:00Z"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "lead_id"),
        row_rules=(
            RowRule("inconsistent_values", ("disposition", "rejection_reason"),
                    "disposition = 'accepted' AND rejection_reason IS NOT NULL",
                    "rejection_reason is set on an accepted lead"),
        ),
    ),
    Entity(
        "opportunities", "deals: one row per opportunity, as it stands now",
        columns=(
            _id("opportunity_id", "the opportunity's id in the tool", "OPP-2210"),
            _text("account_id", "the buying company: an account_id of the same source_system", "ACC-1042"),
            _text("name", "opportunity name", "Acme Analytics - New Business"),
            _enum("type", ("newbusiness", "expansion", "renewal"), "kind of deal", "newbusiness", required=True),
            _text("stage", "current stage, as the tool names it", "Proposal"),
            _ts("created_at", "when the opportunity was created", "2025-03-01T09:00:00Z", required=True),
            _ts("closed_at", "when it was won or lost; empty while open", "2025-05-20T17:00:00Z"),
            Column("is_won", "boolean", "true when won, false when lost, empty while open", "true"),
            Column("amount", "decimal", "deal value in `currency` (not converted)", "24000.00", minimum=0),
            Column("currency", "currency", "currency of amount; required when amount is given", "EUR"),
            _text("lost_reason", "why it was lost", "competitor"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "opportunity_id"),
        row_rules=(
            RowRule("inconsistent_values", ("created_at", "closed_at"), "closed_at < created_at",
                    "closed_at is before created_at"),
            RowRule("inconsistent_values", ("is_won", "closed_at"), "is_won IS NOT NULL AND closed_at IS NULL",
                    "is_won is set but closed_at is empty (an open deal is neither won nor lost)"),
            RowRule("missing_required_value", ("amount", "currency"), CURRENCY_NEEDS_AMOUNT,
                    "currency is empty; it is required when amount is given"),
        ),
    ),
    Entity(
        "stage_history", "one row per stage a person or an opportunity entered",
        columns=(
            _enum("record_type", ("person", "opportunity"), "what entered the stage", "person", required=True),
            _id("record_id", "a person_id or opportunity_id of the same source_system", "P-88120"),
            _text("stage", f"the stage entered; for persons one of {', '.join(FUNNEL_STAGES)}, for "
                           "opportunities the tool's stage name", "mql", required=True),
            _ts("entered_at", "when it entered the stage", "2025-02-04T11:00:00Z", required=True),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "record_type", "record_id", "stage", "entered_at"),
        row_rules=(
            RowRule("not_allowed_value", ("stage",),
                    "record_type = 'person' AND stage NOT IN (" + ", ".join(f"'{s}'" for s in FUNNEL_STAGES) + ")",
                    "stage of a person is not one of: " + ", ".join(FUNNEL_STAGES)),
        ),
    ),
    Entity(
        "activities", "sales activities: calls, meetings and emails",
        columns=(
            _id("activity_id", "the activity's id in the tool", "ACT-99812"),
            _enum("type", ("call", "meeting", "email"), "kind of activity", "call", required=True),
            _ts("occurred_at", "when it happened", "2025-02-03T16:02:00Z", required=True),
            _text("person_id", "the person it was with: a person_id of the same source_system", "P-88120"),
            _text("opportunity_id", "the opportunity it was about: an opportunity_id of the same source_system",
                  "OPP-2210"),
            _text("owner", "the rep who did it (email or name)", "sam.rep@tallyhouse.example"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "activity_id"),
        one_of=(("person_id", "opportunity_id"),),
    ),
    Entity(
        "campaigns", "marketing campaigns, so touches and spend can name them",
        columns=(
            _id("campaign_id", "the campaign's id in the tool", "podcast-revops-radio"),
            _text("name", "campaign name", "Podcast - RevOps Radio", required=True),
            _enum("channel", CHANNELS, "marketing channel", "sponsorship", required=True),
            _text("platform", "where it runs (ad platform, publisher, venue)", "podcast_network"),
            _text("utm_campaign", "the utm_campaign its links carry, if any", "podcast-revops-radio"),
            Column("starts_on", "date", "first day", "2025-01-06"),
            Column("ends_on", "date", "last day", "2025-12-29"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "campaign_id"),
        row_rules=(
            RowRule("inconsistent_values", ("starts_on", "ends_on"), "ends_on < starts_on",
                    "ends_on is before starts_on"),
        ),
    ),
    Entity(
        "touches", "marketing touches: one row per time a person met a campaign or channel",
        columns=(
            _id("touch_id", "the touch's id in the tool", "bs-3f9a1c2e7d4b"),
            _text("person_id", "the person: a person_id of the same source_system", "P-88120"),
            _text("anonymous_id", "a cookie or device id, when the person is not known", "4c1e9a0d-..."),
            _text("email", "email address as typed (not normalized)", "Jane.Doe@acme-analytics.de",
                  pattern=EMAIL, pattern_hint="an email address", as_typed=True),
            _ts("occurred_at", "when it happened", "2025-09-16T10:42:00-07:00", required=True),
            _enum("channel", CHANNELS, "marketing channel", "events", required=True),
            _text("campaign_id", "the campaign: its campaign_id, or the utm_campaign another system gives it",
                  "event-revops-summit-2025"),
            _text("utm_source", "utm_source of the link followed", "event"),
            _text("utm_medium", "utm_medium of the link followed", "event"),
            _text("utm_campaign", "utm_campaign of the link followed", "event-revops-summit-2025"),
            _text("url", "the page or link of the touch", "https://www.tallyhouse.example/events"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "touch_id"),
        one_of=(("person_id", "anonymous_id", "email"),),
    ),
    Entity(
        "ad_spend", "spend per day (or per week, dated its first day) per campaign on a platform",
        columns=(
            Column("date", "date", "day the spend is for (a week's spend is dated its Monday)", "2025-03-03",
                   required=True),
            _text("platform", "where the money was spent (ad platform, publisher, network)", "podcast_network",
                  required=True),
            _text("campaign_id", "the campaign: a campaign_id of the same source_system", "podcast-revops-radio",
                  required=True),
            _text("campaign_name", "campaign name as the platform shows it", "Podcast - RevOps Radio"),
            _enum("channel", CHANNELS, "marketing channel", "sponsorship"),
            Column("spend", "decimal", "amount spent, in `currency` (not converted)", "1800.00", required=True,
                   minimum=0),
            Column("currency", "currency", "currency of spend", "USD", required=True),
            _count("impressions", "impressions (for audio: downloads)", "12400"),
            _count("clicks", "clicks (for audio: visits of the promo URL)", "57"),
            SOURCE_SYSTEM,
        ),
        key=("source_system", "platform", "campaign_id", "date"),
    ),
]}
