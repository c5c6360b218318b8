curl -X POST https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/tasks \
  -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' \
  -H 'Authorization: Bearer {{TOKEN:user}}' \
  --json '{"title": "Review", "task_type": "task", "deadline": "2025-15-07 17:00:00"}'
