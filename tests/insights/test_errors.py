"""The insights error codes the sandbox answers are in the error catalogue, with words people can
act on, and a refresh shows them on the object (GRAPH_NOTES §4.7, §5.2, §10)."""

import pytest

from meta_integration.error_catalogue import CATALOGUE, explain
from meta_integration.graph import GraphError

PROMISES_RETRY = ("ProSocial retries", "ProSocial waits", "ProSocial reschedules")


def error(code, subcode=None, **fields) -> GraphError:
    return GraphError("(sandbox) message", code=code, subcode=subcode, http_status=400, **fields)


@pytest.mark.parametrize(
    ("code", "subcode", "retryable", "words"),
    [
        (-2, 2490547, False, "report on these ads' results failed"),
        (4, 1504022, True, "limit on insights requests"),
        (80000, None, True, "Too many calls to this ad account"),
        (80001, None, True, "Too many calls to this Facebook Page"),
        (80002, None, True, "Too many calls to this Instagram account"),
        (100, 2108006, False, "switch to a professional account"),
        (3001, 1504028, False, "without naming a metric"),
        (100, 1504018, False, "took too long"),
    ],
)
def test_each_insights_error_has_its_own_words(code, subcode, retryable, words):
    explanation = explain(error(code, subcode))

    assert (code, subcode) in CATALOGUE
    assert words in explanation.cause
    assert explanation.retryable is retryable
    assert explanation.doc_url.startswith("https://developers.facebook.com/docs/")
    promises = any(phrase in explanation.fix for phrase in PROMISES_RETRY)
    assert promises is retryable


def test_a_refused_breakdown_reads_as_a_request_to_change_not_an_outage():
    # Meta marks 2/1504041 not transient; code 2 alone would read as "temporarily unavailable".
    refused = error(2, 1504041, meta_is_transient=False)

    explanation = explain(refused, about="insights")

    assert refused.is_retryable is False
    assert explanation.cause.startswith("Meta can't break these results down that way")
    assert "age with gender" in explanation.fix
    assert explanation.retryable is False
    general = explain(refused)  # elsewhere: Meta's own message, with the code
    assert "code 2, subcode 1504041" in general.cause
