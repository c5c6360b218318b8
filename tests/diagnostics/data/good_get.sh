# A well-formed call: every check that applies passes.
curl -sS https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/checklists \
  -H 'X-Tallyfy-Client: APIClient' \
  -H 'Accept: application/json' \
  -H "Authorization: Bearer {{TOKEN:user}}"
