"""The per-entity sections of docs/file-drop.md, rendered from schema.py so the two cannot drift
(tests check that the docs hold exactly this text). Print them with
`python -m extract.file_drop.doc_tables`."""

from __future__ import annotations

import csv
import io

from extract.file_drop.schema import CHANNELS, ENTITIES, FUNNEL_STAGES, RULES, TYPE_FORMATS, Column, Entity


def types_markdown() -> str:
    rows = "\n".join(f"| {name} | {fmt} |" for name, fmt in TYPE_FORMATS.items())
    return f"| type | how to write it |\n|---|---|\n{rows}"


def rules_markdown() -> str:
    rows = "\n".join(f"| `{rule}` | {meaning} |" for rule, meaning in RULES.items())
    return f"| rule | the row is quarantined when |\n|---|---|\n{rows}"


def vocabulary_markdown() -> str:
    return (f"**Channels**: {', '.join(f'`{c}`' for c in CHANNELS)}.\n\n"
            f"**Funnel stages** (stage_history of persons): {', '.join(f'`{s}`' for s in FUNNEL_STAGES)}.")


def entity_markdown(entity: Entity) -> str:
    """The section of one entity: meaning, folder, key, column table, cross-column rules, CSV example."""
    in_group = {name: group for group in entity.one_of for name in group}
    lines = [
        f"### {entity.name}",
        "",
        f"{entity.meaning[0].upper()}{entity.meaning[1:]}. Folder `{entity.name}/`; "
        f"key ({', '.join(f'`{k}`' for k in entity.key)}).",
        "",
        "| column | type | required | allowed values / format | meaning | example |",
        "|---|---|---|---|---|---|",
    ]
    for c in entity.columns:
        required = "yes" if c.required else (
            "one of " + ", ".join(in_group[c.name]) if c.name in in_group else "no")
        lines.append(f"| `{c.name}` | {c.type} | {required} | {_allowed(c)} | {c.meaning} | `{c.example}` |")
    if entity.row_rules:
        lines += ["", "Across columns: " + "; ".join(f"{r.reason} → `{r.rule}`" for r in entity.row_rules) + "."]
    lines += ["", "```csv", _example_csv(entity).rstrip("\n"), "```"]
    return "\n".join(lines)


def sections() -> list[str]:
    """Every generated block the docs must contain verbatim."""
    return [types_markdown(), vocabulary_markdown(), *(entity_markdown(e) for e in ENTITIES.values()),
            rules_markdown()]


def all_markdown() -> str:
    return "\n\n".join(sections()) + "\n"


def _allowed(c: Column) -> str:
    if c.allowed == CHANNELS:
        return "a channel (see Channels)"
    if c.allowed:
        return ", ".join(f"`{v}`" for v in c.allowed)
    parts = []
    if c.type == "currency":
        parts.append("ISO 4217 code")
    if c.pattern_hint:
        parts.append(c.pattern_hint)
    if c.minimum is not None:
        parts.append(f"≥ {c.minimum}")
    if c.as_typed:
        parts.append("loaded as typed")
    return "; ".join(parts)


def _example_csv(entity: Entity) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(entity.names)
    writer.writerow([c.example for c in entity.columns])
    return out.getvalue()


if __name__ == "__main__":
    print(all_markdown(), end="")
