# An application (client_credentials) token on GET /me, which needs a user.
curl https://go.tallyfy.com/api/me -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' \
  -H 'Authorization: Bearer {{TOKEN:app}}'
