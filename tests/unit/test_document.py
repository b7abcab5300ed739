"""The output types in workers/document.py and the shipped JSON Schemas say the same thing.

At every level: the same keys in the same order, the same required keys, closed objects, the
same JSON types, and where a type names its values (Literal, StrEnum) the schema names them
too. The schema alone keeps what a type cannot say (patterns, minimums, lengths).
"""

import copy
import types
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

import jsonschema
import orjson
import pytest

from workers.document import EnrichedDocument, FailureRecord
from workers.errors import Code, DocflowError
from workers.model import Source
from workers.render import dumps, failure_record, load_schema, validate

Schema = dict[str, Any]

KINDS: dict[object, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
    list: "array",
    dict: "object",
}
CONTRACTS = [(EnrichedDocument, "enriched.v1.json"), (FailureRecord, "failure.v1.json")]


def _members(tp: Any) -> tuple[Any, ...]:
    """A union's members (a type that is no union is its own one member)."""
    if get_origin(tp) in (Union, types.UnionType):
        return tuple(m for arg in get_args(tp) for m in _members(arg))
    return (tp,)


def _named(member: Any) -> tuple[object, ...] | None:
    """The values a Literal or an Enum names; None for any other type."""
    if get_origin(member) is Literal:
        return get_args(member)
    if isinstance(member, type) and issubclass(member, Enum):
        return tuple(m.value for m in member)
    return None


def _type_kinds(tp: Any) -> set[str]:
    kinds = set()
    for member in _members(tp):
        named = _named(member)
        if named is not None:
            kinds |= {KINDS[type(v)] for v in named}
        else:
            kinds.add("object" if is_typeddict(member) else KINDS[get_origin(member) or member])
    return kinds


def _type_values(tp: Any) -> set[object] | None:
    """The values a type allows, or None when it names none (a plain str, a list...)."""
    values: set[object] = set()
    for member in _members(tp):
        named = () if member is type(None) else _named(member)
        if named is None:
            return None
        values |= set(named) if named else {None}
    return values if values != {None} else None


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        assert node["$ref"].startswith("#/"), node["$ref"]
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _schema_kinds(node: Schema, root: Schema) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return {kind for branch in node["anyOf"] for kind in _schema_kinds(branch, root)}
    if "type" in node:
        return {node["type"]} if isinstance(node["type"], str) else set(node["type"])
    values = _schema_values(node, root)
    assert values is not None, f"a schema node with no type: {node}"
    return {KINDS[type(v)] for v in values}


def _schema_values(node: Schema, root: Schema) -> set[object] | None:
    node = _resolve(node, root)
    if "anyOf" in node:
        branches = [_schema_values(branch, root) for branch in node["anyOf"]]
        return None if None in branches else {v for b in branches if b for v in b}
    if "const" in node:
        return {node["const"]}
    return set(node["enum"]) if "enum" in node else None


def _branch(node: Schema, root: Schema, kind: str) -> Schema:
    """The part of a node that describes values of one JSON kind."""
    node = _resolve(node, root)
    for branch in node.get("anyOf", []):
        if kind in _schema_kinds(branch, root):
            return _resolve(branch, root)
    return node


def _merged(base: Schema, extra: Schema, root: Schema) -> Schema:
    """base with a conditional branch applied, as a validator applies both to one value."""
    out = dict(_resolve(base, root))
    for key, value in extra.items():
        if key == "required":
            out[key] = [*out.get(key, []), *(k for k in value if k not in out.get(key, []))]
        elif key == "properties":
            props = dict(out.get(key, {}))
            out[key] = props | {k: _merged(props.get(k, {}), v, root) for k, v in value.items()}
        elif key == "items":
            out[key] = _merged(out.get(key, {}), value, root)
        else:
            out[key] = value
    return out


def _for_version(schema: Schema, version: str) -> Schema:
    """The schema as it applies to a document of one schema_version: if/then/else resolved."""
    if "if" not in schema:
        return schema
    applies = jsonschema.Draft202012Validator(schema["if"]).is_valid({"schema_version": version})
    branch = schema.get("then" if applies else "else", {})
    rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
    return _merged(rest, branch, schema)


def disagreements(tp: Any, schema: Schema) -> list[str]:
    """Where a TypedDict and the JSON Schema for it say different things, by path."""
    (version,) = get_args(get_type_hints(tp)["schema_version"])
    return list(_compare(tp, _for_version(schema, version), schema, "$"))


def _compare(tp: Any, node: Schema, root: Schema, path: str) -> Iterator[str]:
    node = _resolve(node, root)
    type_kinds, schema_kinds = _type_kinds(tp), _schema_kinds(node, root)
    if type_kinds != schema_kinds:
        yield f"{path}: the type allows {sorted(type_kinds)}, the schema {sorted(schema_kinds)}"
    type_values, schema_values = _type_values(tp), _schema_values(node, root)
    named = type_values is not None or schema_values is not None
    if named and (type_values is None or schema_values is None or not type_values <= schema_values):
        yield f"{path}: the type allows values {type_values}, the schema {schema_values}"
    for member in _members(tp):
        origin = get_origin(member)
        if is_typeddict(member):
            yield from _compare_object(member, _branch(node, root, "object"), root, path)
        elif origin is list:
            items = _branch(node, root, "array").get("items")
            if items is None:
                yield f"{path}: the schema says nothing of the items"
            else:
                yield from _compare(get_args(member)[0], items, root, f"{path}[]")
        elif origin is dict:
            mapping = _branch(node, root, "object")
            values = mapping.get("additionalProperties")
            if "properties" in mapping or not isinstance(values, dict):
                yield f"{path}: the type is a mapping, the schema does not say of what"
            else:
                yield from _compare(get_args(member)[1], values, root, f"{path}{{}}")


def _compare_object(tp: Any, node: Schema, root: Schema, path: str) -> Iterator[str]:
    hints = get_type_hints(tp)
    properties = node.get("properties", {})
    if list(hints) != list(properties):
        yield f"{path}: the type's keys {list(hints)}, the schema's {list(properties)}"
    required, type_required = set(node.get("required", [])), set(tp.__required_keys__)
    if required != type_required:
        yield f"{path}: the type requires {sorted(type_required)}, the schema {sorted(required)}"
    if node.get("additionalProperties") is not False:
        yield f"{path}: the schema lets other keys in"
    for key in (key for key in hints if key in properties):
        yield from _compare(hints[key], properties[key], root, f"{path}.{key}")


@pytest.mark.parametrize(("tp", "name"), CONTRACTS)
def test_document_types_and_shipped_schemas_agree(tp: Any, name: str) -> None:
    assert disagreements(tp, load_schema(name)) == []


def _drop_key(schema: Schema) -> None:
    del schema["properties"]["pipeline"]["properties"]["config_hash"]
    schema["properties"]["pipeline"]["required"].remove("config_hash")


def _add_key(schema: Schema) -> None:
    schema["$defs"]["span"]["properties"]["text"] = {"type": "string"}


def _require_optional(schema: Schema) -> None:
    schema["$defs"]["source"]["required"].append("bucket")


def _unrequire(schema: Schema) -> None:
    schema["then"]["properties"]["entities"]["items"]["required"].remove("model_label")


def _open_object(schema: Schema) -> None:
    del schema["properties"]["removed"]["items"]["additionalProperties"]


def _retype(schema: Schema) -> None:
    schema["$defs"]["offset"]["type"] = "number"


def _allow_null(schema: Schema) -> None:
    schema["properties"]["text"]["type"] = ["string", "null"]


def _drop_enum(schema: Schema) -> None:
    schema["properties"]["metadata"]["properties"]["language_source"] = {"type": ["string", "null"]}


def _narrow_enum(schema: Schema) -> None:
    schema["properties"]["schema_version"]["enum"] = ["1"]


def _reorder(schema: Schema) -> None:
    props = schema["properties"]["sections"]["items"]["properties"]
    props["speakers"] = props.pop("speakers")


def _untype_timings(schema: Schema) -> None:
    del schema["properties"]["pipeline"]["properties"]["timings_ms"]["additionalProperties"]


BREAKS: list[tuple[Callable[[Schema], None], str]] = [
    (_drop_key, "$.pipeline"),
    (_add_key, "$.sections[].paragraphs[].sentences[]"),
    (_require_optional, "$.source"),
    (_unrequire, "$.entities[]"),
    (_open_object, "$.removed[]"),
    (_retype, "$.sections[].start"),
    (_allow_null, "$.text"),
    (_drop_enum, "$.metadata.language_source"),
    (_narrow_enum, "$.schema_version"),
    (_reorder, "$.sections[]"),
    (_untype_timings, "$.pipeline.timings_ms"),
]


@pytest.mark.parametrize(
    ("edit", "path"), BREAKS, ids=[edit.__name__.strip("_") for edit, _ in BREAKS]
)
def test_document_schema_drift_is_found_where_it_is(
    edit: Callable[[Schema], None], path: str
) -> None:
    schema = copy.deepcopy(load_schema("enriched.v1.json"))
    edit(schema)
    assert path in [problem.split(": ")[0] for problem in disagreements(EnrichedDocument, schema)]


def test_document_every_error_code_is_in_the_failure_schema() -> None:
    schema = copy.deepcopy(load_schema("failure.v1.json"))
    schema["properties"]["error"]["properties"]["code"]["enum"].remove(str(Code.TIMEOUT))
    problems = disagreements(FailureRecord, schema)
    assert [problem.split(": ")[0] for problem in problems] == ["$.error.code"]


@pytest.mark.parametrize("code", list(Code))
def test_document_failure_record_writes_each_code_as_its_name(code: Code) -> None:
    source = Source("a.txt", "in", '"e"', 3, "text/plain", "2026-01-01T00:00:00+00:00")
    record = failure_record(source, None, DocflowError(code, "why", "decode"), 1)
    written = orjson.loads(dumps(record))
    validate(written, "failure.v1.json")
    assert written["error"] == {
        "code": code.value,
        "message": "why",
        "stage": "decode",
    }
