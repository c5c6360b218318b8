$token = "{{TOKEN:user}}"
$headers = @{
    Authorization = "Bearer $token"
    "X-Tallyfy-Client" = "APIClient"
    Accept = 'application/json'
}
Invoke-RestMethod -Uri "https://go.tallyfy.com/api/me" -Method Get -Headers $headers
