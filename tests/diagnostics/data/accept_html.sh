curl https://go.tallyfy.com/api/me -H 'X-Tallyfy-Client: APIClient' -H 'Accept: text/html' \
  -H 'Authorization: Bearer {{TOKEN:user}}'
