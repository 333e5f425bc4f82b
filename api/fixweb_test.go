package api_test

import (
	"strings"
	"testing"
)

// TestPublicVerifyDraftLikeMissing (issue 14 review): the public verify
// API answers an unsigned draft exactly like a missing id.
func TestPublicVerifyDraftLikeMissing(t *testing.T) {
	v := MustStartLocal(t)
	id := v.initiateA("PKS Rahasia Belum Ditandatangani").ID
	draft := v.doJSON("", "GET", "/public/verify/"+id, nil, nil)
	const missingID = "20260101-deadbeef00"
	missing := v.doJSON("", "GET", "/public/verify/"+missingID, nil, nil)
	c1, d1 := draft.problem()
	c2, d2 := missing.problem()
	if draft.status != 404 || draft.status != missing.status || c1 != c2 || strings.ReplaceAll(d1, id, "ID") != strings.ReplaceAll(d2, missingID, "ID") {
		t.Errorf("draft: %d %s %q; missing: %d %s %q — want the same answer", draft.status, c1, d1, missing.status, c2, d2)
	}
}
