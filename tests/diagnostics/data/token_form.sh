curl -X POST https://go.tallyfy.com/api/oauth/token \
  -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' \
  -d grant_type=password -d client_id=3 -d client_secret=s3cr3t-client \
  --data-urlencode 'username=ann+ops@example.com' --data-urlencode 'password=hunter2-password'
