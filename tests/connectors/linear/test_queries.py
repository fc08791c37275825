"""Every document the connector sends is valid against Linear's published schema, uses no
deprecated field, and stays under Linear's complexity limit at the configured page sizes."""

from typing import Any

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    parse,
    specified_rules,
    validate,
)
from graphql.validation.rules.custom.no_deprecated import NoDeprecatedCustomRule

from sourcesync.connectors.linear.queries import ALL_QUERIES
from sourcesync.connectors.linear.settings import MAX_QUERY_COMPLEXITY, LinearSettings
from tests.fakes.linear import linear_schema


@pytest.mark.parametrize("name", sorted(ALL_QUERIES))
def test_query_is_valid_against_linear_schema(name: str) -> None:
    errors = validate(
        linear_schema(), parse(ALL_QUERIES[name]), [*specified_rules, NoDeprecatedCustomRule]
    )
    assert [error.message for error in errors] == []


def estimate_complexity(document: DocumentNode, variables: dict[str, Any]) -> float:
    """Linear's published rule: 0.1 per scalar, 1 per object, and a connection multiplies
    what it selects by `first` (50 when absent). Counting `pageInfo` inside the multiplied
    part over-estimates a little, which errs on the safe side."""
    schema = linear_schema()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def first_of(field: FieldNode) -> int:
        for argument in field.arguments:
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    return int(variables[value.name.value])
        return 50

    def cost(selection_set: SelectionSetNode, parent: GraphQLObjectType) -> float:
        total = 0.0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total += cost(fragments[selection.name.value].selection_set, parent)
            elif isinstance(selection, InlineFragmentNode):
                total += cost(selection.selection_set, parent)
            elif isinstance(selection, FieldNode):
                field_type = get_named_type(parent.fields[selection.name.value].type)
                if is_leaf_type(field_type):
                    total += 0.1
                    continue
                assert isinstance(field_type, GraphQLObjectType)
                assert selection.selection_set is not None
                inner = cost(selection.selection_set, field_type)
                if field_type.name.endswith("Connection"):
                    total += first_of(selection) * inner
                else:
                    total += 1 + inner
        return total

    operation = document.definitions[0]
    assert schema.query_type is not None
    return cost(operation.selection_set, schema.query_type)


def test_estimator_counts_objects_scalars_and_connections() -> None:
    document = parse("query { issues(first: 10) { nodes { id title state { name } } } }")
    # 10 x (nodes: 1 + id 0.1 + title 0.1 + state (1 + name 0.1))
    assert estimate_complexity(document, {}) == pytest.approx(10 * 2.3)


@pytest.mark.parametrize("name", sorted(ALL_QUERIES))
def test_query_stays_under_linear_complexity_limit(name: str) -> None:
    defaults = LinearSettings()
    variables = {"first": defaults.id_page_size}
    if name.endswith("_by_id"):
        variables["first"] = defaults.batch_size
    elif name.endswith("_page"):
        variables["first"] = defaults.nested_page_size
    complexity = estimate_complexity(parse(ALL_QUERIES[name]), variables)
    assert complexity <= MAX_QUERY_COMPLEXITY, f"{name}: {complexity:.0f} points"
