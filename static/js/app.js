// Meta appends "#_=_" to the OAuth redirect (GRAPH_NOTES §1.1); browsers keep the fragment
// across our own redirect. Drop it so URLs stay clean.
if (window.location.hash === "#_=_") {
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
