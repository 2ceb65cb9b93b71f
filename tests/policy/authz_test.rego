# tests/policy/authz_test.rego - `opa test policies tests/policy` (run by
# tests/policy/run, the ctest unit/policy_rego): the seed decision of
# policies/dive/authz.rego, and that it fails closed.
package policy_test.dive_authz

import data.dive.authz

hub := "http://localhost:8443/realms/dive-v3-broker-usa"

secret_deu := {"issuer": hub, "clearance": "SECRET", "countryOfAffiliation": "DEU", "acpCOI": ["NATO"]}

doc := {"classification": "SECRET", "releasabilityTo": ["DEU", "USA"], "COI": []}

req(subject, resource) := {"subject": subject, "action": "read", "resource": resource}

test_secret_deu_reads_secret_document_releasable_to_deu if {
	d := authz.decision with input as req(secret_deu, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	d.allow == true
	d.reasons == set()
	d.revision == "r1"
}

test_unclassified_user_may_not_read_secret if {
	u := object.union(secret_deu, {"clearance": "UNCLASSIFIED"})
	d := authz.decision with input as req(u, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	d.allow == false
	d.reasons == {"clearance below classification"}
}

test_not_releasable_to_the_country if {
	u := object.union(secret_deu, {"countryOfAffiliation": "FRA"})
	d := authz.decision with input as req(u, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	d.allow == false
	d.reasons == {"not releasable to the subject's country"}
}

test_untrusted_issuer_is_denied if {
	u := object.union(secret_deu, {"issuer": "http://evil.example/realms/x"})
	not authz.allow with input as req(u, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
}

test_no_trusted_issuers_denies_everyone if {
	d := authz.decision with input as req(secret_deu, doc) with data.dive.trusted_issuers as []
	d.allow == false
	"issuer not trusted" in d.reasons
	d.revision == ""
}

test_only_reads_are_permitted if {
	r := object.union(req(secret_deu, doc), {"action": "delete"})
	not authz.allow with input as r with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
}

test_missing_attributes_deny if {
	not authz.allow with input as {} with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	d := authz.decision with input as {} with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	count(d.reasons) == 5
	not authz.allow with input as req({"issuer": hub}, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	not authz.allow with input as req(secret_deu, {"releasabilityTo": ["DEU"]}) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
}

test_unknown_clearance_denies if {
	u := object.union(secret_deu, {"clearance": "COSMIC"})
	not authz.allow with input as req(u, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
}

test_community_of_interest_must_be_shared if {
	nato := object.union(doc, {"COI": ["NATO"]})
	authz.allow with input as req(secret_deu, nato) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	fvey := object.union(doc, {"COI": ["FVEY"]})
	d := authz.decision with input as req(secret_deu, fvey) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
	d.reasons == {"no community of interest in common"}
}

test_higher_clearance_reads_lower_classification if {
	ts := object.union(secret_deu, {"clearance": "TOP_SECRET"})
	authz.allow with input as req(ts, doc) with data.dive.trusted_issuers as [hub] with data.dive.policy_revision as {"revision": "r1"}
}
