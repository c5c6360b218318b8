# HTTPie sends request items as JSON unless told -f: Tallyfy's token endpoint wants a form.
http POST https://go.tallyfy.com/api/oauth/token X-Tallyfy-Client:APIClient \
    grant_type=password username=ann@example.com password=correct-horse client_id=3 client_secret=s3cr3t-client
