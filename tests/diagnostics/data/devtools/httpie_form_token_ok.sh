http -f POST https://go.tallyfy.com/api/oauth/token X-Tallyfy-Client:APIClient Accept:application/json \
    grant_type=password username=ann@example.com password=correct-horse client_id=3 client_secret=s3cr3t-client
