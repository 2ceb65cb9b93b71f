# policies/dive/authz.rego - the seed of the hub's policy repository: the
# attribute-based decision every spoke's OPA gets from the hub through OPAL
# (docs/architecture/policy-distribution.md).
#
# Query: POST /v1/data/dive/authz/decision with
#   {"input": {"subject": {"issuer": URL, "clearance": LEVEL,
#                          "countryOfAffiliation": ISO3, "acpCOI": [..]},
#              "action": "read",
#              "resource": {"classification": LEVEL,
#                           "releasabilityTo": [ISO3, ..], "COI": [..]}}}
# Answer: {"allow": bool, "reasons": [why not, ..], "revision": the hub
# revision this OPA holds}.
#
# Fail closed: every condition is a positive rule, a missing attribute is a
# reason to deny, and more modules of this package may add reasons (an
# embargo, a suspension) but never remove one.
package dive.authz

levels := {"UNCLASSIFIED": 0, "RESTRICTED": 1, "CONFIDENTIAL": 2, "SECRET": 3, "TOP_SECRET": 4}

default allow := false

allow if {
	issuer_trusted
	action_permitted
	clearance_sufficient
	releasable
	coi_satisfied
	count(reasons) == 0
}

# data.dive.trusted_issuers: the hub and every approved spoke (written by dive)
issuer_trusted if input.subject.issuer in data.dive.trusted_issuers

action_permitted if input.action == "read"

clearance_sufficient if levels[input.subject.clearance] >= levels[input.resource.classification]

releasable if input.subject.countryOfAffiliation in input.resource.releasabilityTo

# a resource without communities of interest needs none; otherwise one in common
coi_satisfied if count(object.get(input.resource, "COI", [])) == 0

coi_satisfied if {
	some coi in input.resource.COI
	coi in object.get(input.subject, "acpCOI", [])
}

reasons contains "issuer not trusted" if not issuer_trusted

reasons contains "action not permitted" if not action_permitted

reasons contains "clearance below classification" if not clearance_sufficient

reasons contains "not releasable to the subject's country" if not releasable

reasons contains "no community of interest in common" if not coi_satisfied

# data.dive.policy_revision: written by the hub's opal-server with each publish
default revision := ""

revision := data.dive.policy_revision.revision

decision := {"allow": allow, "reasons": reasons, "revision": revision}
