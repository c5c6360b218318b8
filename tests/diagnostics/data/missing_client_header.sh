curl https://go.tallyfy.com/api/me \
  -H 'Accept: application/json' \
  -H 'Authorization: Bearer {{TOKEN:user}}'
