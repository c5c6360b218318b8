curl -X POST https://go.tallyfy.com/api/oauth/token \
  -H 'X-Tallyfy-Client: APIClient' \
  --json '{"grant_type": "password", "client_id": "3", "client_secret": "s3cr3t-client", "username": "ann@example.com", "password": "hunter2-password"}'
