curl https://go.tallyfy.com/api/me -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' \
  -H 'Authorization: Bearer  {{TOKEN:user}}'
